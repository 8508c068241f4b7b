axis_concat_bench.v
../../kernels/axis_concat.f
