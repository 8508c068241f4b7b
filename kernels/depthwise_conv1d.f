depthwise_conv1d.v
line_buffer_1d.f
weight_product.f
