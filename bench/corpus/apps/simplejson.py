"""simplejson: Decimal round trips, sorting, named tuples and the C speedups."""
# dists: simplejson
import collections
import decimal

import simplejson

P = collections.namedtuple("P", "x y")
s = simplejson.dumps({"b": decimal.Decimal("1.10"), "a": P(1, 2)}, sort_keys=True, use_decimal=True)
print(s)
print(simplejson.loads(s, use_decimal=True))
print(simplejson.dumps([1, "é"], ensure_ascii=False, indent=2))
try:
    simplejson.loads("{bad")
except simplejson.JSONDecodeError as e:
    print("JSONDecodeError", e.lineno, e.colno)
print("speedups:", simplejson._import_c_make_encoder() is not None)
