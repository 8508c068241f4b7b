axis_fifo.v
