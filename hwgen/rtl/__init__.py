"""The RTL view of a model: weight files (memfile), file lists (filelist), skip-FIFO depths (skip_fifo)
and yosys resource counts (synth) for kernels/*.v."""
