"""pyparsing: an arithmetic expression grammar with operator precedence, and a key=value parser."""
# dists: pyparsing
import pyparsing as pp

num = pp.pyparsing_common.number
expr = pp.infix_notation(num, [(pp.one_of("* /"), 2, pp.OpAssoc.LEFT), (pp.one_of("+ -"), 2, pp.OpAssoc.LEFT)])
print(expr.parse_string("1 + 2 * (3 - 4.5) / 7").as_list())
kv = pp.Dict(pp.ZeroOrMore(pp.Group(pp.Word(pp.alphas) + pp.Suppress("=") + pp.Word(pp.alphanums))))
print(kv.parse_string("a=1 b=xy c=3").as_dict())
try:
    pp.Word(pp.nums).parse_string("abc")
except pp.ParseException as e:
    print("ParseException:", e)
