result_out.v
argmax.f
