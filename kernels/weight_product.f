weight_product.v
