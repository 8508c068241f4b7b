conv1d_engine.v
line_buffer_1d.f
weight_product.f
