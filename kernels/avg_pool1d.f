avg_pool1d.v
pool1d_window.f
avg_divide.f
requant_relu.f
