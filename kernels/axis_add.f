axis_add.v
