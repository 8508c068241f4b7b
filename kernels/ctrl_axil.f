ctrl_axil.v
