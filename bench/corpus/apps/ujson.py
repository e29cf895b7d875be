"""ujson: encoding and decoding with options."""
# dists: ujson
import ujson

print(ujson.dumps({"b": [1, 2.5, None], "a": "é/x"}, sort_keys=True, escape_forward_slashes=False,
                  ensure_ascii=False))
print(ujson.loads('{"x": [1, 2, {"y": true}], "big": 12345678901234567890}'))
print(ujson.dumps({"n": 1}, indent=4))
try:
    ujson.loads("[1,")
except ujson.JSONDecodeError as e:
    print("JSONDecodeError", e)
