"""sortedcontainers: SortedList, SortedDict and SortedSet operations."""
# dists: sortedcontainers
from sortedcontainers import SortedDict, SortedList, SortedSet

sl = SortedList([5, 1, 4, 1, 9])
sl.add(3)
print(sl, sl.bisect_left(4), list(sl.irange(2, 5)))
sd = SortedDict({"b": 2, "a": 1, "c": 3})
print(sd, sd.peekitem(0), sd.bisect_right("b"))
ss = SortedSet("mississippi")
print(ss, ss | SortedSet("xyz"), ss.index("s"))
