avg_divide.v
