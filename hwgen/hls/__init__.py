"""hls4ml view of the integer graph: precision inference, config, conversion, C-sim and report."""
