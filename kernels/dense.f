dense.v
