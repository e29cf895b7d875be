"""mpmath: arbitrary-precision constants, special functions, quadrature and root finding."""
# dists: mpmath
import mpmath as mp

mp.mp.dps = 50
print(mp.pi)
print(mp.zeta(3))
print(mp.quad(lambda t: mp.exp(-t ** 2), [-mp.inf, mp.inf]))
print(mp.findroot(lambda t: mp.cos(t) - t, 0.7))
print(mp.besselj(1, 2.5))
print(mp.nstr(mp.gamma(mp.mpf("0.5")) ** 2, 30))
print(mp.matrix([[1, 2], [3, 4]]) ** -1)
