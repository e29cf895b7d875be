"""orjson: fast JSON with dataclasses, datetimes, options and errors."""
# dists: orjson
import dataclasses
import datetime

import orjson


@dataclasses.dataclass
class P:
    x: int
    when: datetime.datetime


data = {"b": [1, 2.5, None, True], "a": P(1, datetime.datetime(2024, 1, 2, 3, 4, 5)), "u": "é"}
print(orjson.dumps(data, option=orjson.OPT_SORT_KEYS | orjson.OPT_NAIVE_UTC))
print(orjson.dumps({"x": [1, 2]}, option=orjson.OPT_INDENT_2).decode())
print(orjson.loads(b'{"k": [1, {"z": null}], "f": 1.5e3}'))
try:
    orjson.loads(b"{bad")
except orjson.JSONDecodeError as e:
    print("JSONDecodeError", type(e).__mro__[1].__name__)
