"""The zoo's names, default settings and bit widths: plain data, importable without TensorFlow.

`hwgen.models.zoo` builds from these; the CLI's help and defaults are derived from them (`hwgen --help`
must not import TensorFlow).
"""

MODELS = {
    "cnn": "standard convolutions (the baseline)",
    "dscnn": "depthwise-separable convolutions",
    "shiftcnn": "depthwise-separable convolutions with power-of-two (shift) weights everywhere",
    "mobilenet": "1x1 stem then MobileNetV2 inverted residuals",
    "ghostnet": "ghost modules (1x1 primary + cheap depthwise, concatenated)",
    "firenet": "SqueezeNet fire modules (squeeze 1x1, expand 1x1 + k-wide, concatenated)",
}

BITS_RANGE = (2, 16)      # weight/activation bits a model accepts
TESTED_BITS = (8, 6, 4)   # the widths the test suite and benchmarks cover

DEFAULTS = {
    "bits": 8,  # weights/activations: 8, 6 or 4 (None = float twin for pre-training)
    "width": 1.0,  # multiplies the stage filters (16, 32, 64)
    "depth": 1,  # blocks per stage
    "kernel": 9,  # taps along slow time (dims=2: k x k, or a (time, depth) pair)
    "input_pool": 1,  # average-pool factor along time before the first stage (denoises, cuts MACs)
    "pools": (4, 4, 2),  # max-pool factor after each stage
    "act_integer": None,  # integer bits of activations (default 3 for >= 6 bits, else 2)
    "po2_bits": 4,  # bits of the power-of-two weights of shift layers (sign + exponent)
    "expand": 2,  # mobilenet expansion factor
    "attention": None,  # "se" or "cbam" after each stage: NOT hls4ml-convertible
    "allow_unconvertible": False,
    "dims": 1,  # 1: convolve along time, depth bins as channels; 2: the (time, depth) image
    "factorise": False,  # dims=2: every k_t x k_d kernel as k_t x 1 then 1 x k_d (not dscnn/shiftcnn)
}
