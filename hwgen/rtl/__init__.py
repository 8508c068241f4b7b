"""The RTL view of a model: kernel parameters and weight files for kernels/*.v (see memfile)."""
