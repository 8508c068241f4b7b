axis_concat.v
