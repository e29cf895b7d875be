"""lark: a calculator grammar importing lark's common grammar, parsed with LALR and Earley."""
# dists: lark
from lark import Lark, Transformer

grammar = r"""
?start: sum
?sum: product | sum "+" product -> add | sum "-" product -> sub
?product: atom | product "*" atom -> mul | product "/" atom -> div
?atom: NUMBER -> number | "-" atom -> neg | "(" sum ")"
%import common.NUMBER
%import common.WS_INLINE
%ignore WS_INLINE
"""


class Calc(Transformer):
    def number(self, t):
        return float(t[0])

    def add(self, t):
        return t[0] + t[1]

    def sub(self, t):
        return t[0] - t[1]

    def mul(self, t):
        return t[0] * t[1]

    def div(self, t):
        return t[0] / t[1]

    def neg(self, t):
        return -t[0]


lalr = Lark(grammar, parser="lalr", transformer=Calc())
print(lalr.parse("1 + 2 * (3 - 4) / 8"))
print(Lark(grammar, parser="earley").parse("2*-3").pretty())
