axis_fork.v
