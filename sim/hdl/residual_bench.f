residual_bench.v
../../kernels/axis_fork.f
../../kernels/depthwise_conv1d.f
../../kernels/conv1d_mac.f
../../kernels/requant_relu.f
../../kernels/axis_fifo.f
../../kernels/axis_add.f
