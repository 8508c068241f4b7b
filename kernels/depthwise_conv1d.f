depthwise_conv1d.v
line_buffer_1d.f
