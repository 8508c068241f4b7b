line_buffer_1d.v
