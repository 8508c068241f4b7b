"""The golden integer model: the exact hardware arithmetic, in numpy. See `hwgen.golden.ops`."""
