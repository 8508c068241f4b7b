conv1d_mac.v
conv1d_engine.f
