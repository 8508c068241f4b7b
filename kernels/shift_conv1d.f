shift_conv1d.v
conv1d_engine.f
