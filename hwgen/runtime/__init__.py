"""What runs on the board: the stream format (`protocol`) and, later, the PYNQ driver. numpy and pynq only."""
