"""hwgen: lightweight quantized CNNs for ultrasound signal classification, from data to a Zynq SoC."""

__version__ = "0.1.0"
