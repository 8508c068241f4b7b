conv1d_engine.v
line_buffer_1d.f
