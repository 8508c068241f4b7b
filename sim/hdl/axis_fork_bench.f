axis_fork_bench.v
../../kernels/axis_fork.f
