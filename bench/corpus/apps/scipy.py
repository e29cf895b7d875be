"""scipy: optimisation, integration, sparse linear algebra, statistics, interpolation, FFT."""
# dists: scipy
import numpy as np
from scipy import fft, integrate, interpolate, linalg, optimize, sparse, special, stats
from scipy.sparse.linalg import spsolve

res = optimize.minimize(optimize.rosen, [1.3, 0.7, 0.8, 1.9, 1.2], method="BFGS")
print("rosen minimum:", np.round(res.x, 4).tolist(), bool(res.success))
print("root:", round(optimize.brentq(lambda x: x ** 3 - 2 * x - 5, 2, 3), 8))
val, _ = integrate.quad(lambda x: np.exp(-x ** 2), -np.inf, np.inf)
print("gauss integral:", round(val, 10))
sol = integrate.solve_ivp(lambda t, y: -0.5 * y, (0, 10), [2.0], rtol=1e-8, atol=1e-10)
print("ode y(10):", round(float(sol.y[0, -1]), 6))
a = sparse.diags([1, -2, 1], [-1, 0, 1], shape=(6, 6), format="csc")
print("spsolve:", np.round(spsolve(a, np.ones(6)), 5).tolist())
print("lu det:", round(float(linalg.det(np.array([[4.0, 3], [6, 3]]))), 6))
print("norm cdf:", round(float(stats.norm.cdf(1.96)), 6),
      "t ppf:", round(float(stats.t.ppf(0.975, 10)), 6))
rng = np.random.default_rng(3)
print("ttest p:", round(float(stats.ttest_ind(rng.normal(0, 1, 50), rng.normal(0.5, 1, 50)).pvalue), 6))
print("gamma(5.5):", round(float(special.gamma(5.5)), 6), "erf:", round(float(special.erf(0.5)), 8))
cs = interpolate.CubicSpline([0, 1, 2, 3], [0, 1, 8, 27])
print("spline(1.5):", round(float(cs(1.5)), 6))
print("fft:", np.round(np.abs(fft.fft([1, 2, 3, 4])), 6).tolist())
