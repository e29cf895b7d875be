"""sympy: solving, integrating, simplifying, series, matrices and printing symbolic maths."""
# dists: sympy, mpmath
# timeout: 300
import sympy as sp

x, y = sp.symbols("x y")
print(sp.solve(x ** 2 - 5 * x + 6, x))
print(sp.integrate(sp.sin(x) * sp.exp(x), x))
print(sp.simplify((x ** 2 - 1) / (x - 1)))
print(sp.series(sp.cos(x), x, 0, 8))
print(sp.factor(x ** 4 - y ** 4))
m = sp.Matrix([[1, 2], [3, 4]])
print(m.inv(), m.eigenvals())
print(sp.latex(sp.Integral(sp.sqrt(x), (x, 0, 1))))
print(sp.limit(sp.sin(x) / x, x, 0), sp.diff(sp.atan(x), x))
print(sp.N(sp.pi, 40))
print(sp.dsolve(sp.Derivative(sp.Function("f")(x), x, 2) + sp.Function("f")(x)))
print(sp.pretty(sp.Sum(1 / x ** 2, (x, 1, sp.oo)), use_unicode=True))
