accel_shell.v
frame_in.f
result_out.f
ctrl_axil.f
