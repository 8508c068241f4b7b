last_line_core.v
