max_pool1d.v
pool1d_window.f
