frame_in.v
axis_lanes.f
