accel_last_line.v
../../kernels/accel_shell.f
last_line_core.f
