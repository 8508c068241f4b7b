global_avg_pool.v
requant_relu.f
