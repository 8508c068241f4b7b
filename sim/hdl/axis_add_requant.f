axis_add_requant.v
../../kernels/axis_add.f
../../kernels/requant_relu.f
