"""contourpy: contour lines and filled contours of a grid."""
# dists: contourpy
import numpy as np
from contourpy import contour_generator

x, y = np.meshgrid(np.linspace(-1, 1, 30), np.linspace(-1, 1, 30))
gen = contour_generator(x, y, x ** 2 + y ** 2, name="serial")
lines = gen.lines(0.5)
print(len(lines), [round(float(np.hypot(*l.T).mean()), 3) for l in lines])
filled = gen.filled(0.2, 0.6)
print(len(filled[0]), gen.line_type, gen.fill_type)
