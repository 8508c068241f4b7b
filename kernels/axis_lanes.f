axis_lanes.v
