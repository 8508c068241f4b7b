dense.v
weight_product.f
