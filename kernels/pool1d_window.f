pool1d_window.v
