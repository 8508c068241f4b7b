requant_relu.v
