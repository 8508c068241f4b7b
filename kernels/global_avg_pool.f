global_avg_pool.v
avg_pool1d.f
