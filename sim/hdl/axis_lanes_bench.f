axis_lanes_bench.v
../../kernels/axis_lanes.f
