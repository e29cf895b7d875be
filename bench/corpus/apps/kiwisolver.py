"""kiwisolver: the Cassowary constraint solver with required and weak constraints."""
# dists: kiwisolver
from kiwisolver import Solver, Variable

left, width, right = Variable("left"), Variable("width"), Variable("right")
s = Solver()
s.addConstraint(right == left + width)
s.addConstraint(left >= 10)
s.addConstraint(width >= 50)
s.addConstraint((width == 200) | "weak")
s.addConstraint(right <= 120)
s.updateVariables()
print(left.value(), width.value(), right.value())
