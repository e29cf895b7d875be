"""toolz: functional pipelines, curried functions, dictionary and sequence helpers."""
# dists: toolz
import toolz
from toolz import curried

print(toolz.pipe(range(10), curried.filter(lambda x: x % 2), curried.map(lambda x: x * x), list))
print(toolz.groupby(len, ["a", "bb", "cc", "d"]), toolz.frequencies("abracadabra"))
print(toolz.merge_with(sum, {"a": 1}, {"a": 2, "b": 3}), toolz.get_in(["a", "b"], {"a": {"b": 7}}))
print(list(toolz.sliding_window(2, [1, 2, 3])), toolz.compose(str, abs)(-3))
