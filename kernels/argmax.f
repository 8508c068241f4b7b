argmax.v
