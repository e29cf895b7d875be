"""more-itertools: chunking, windows, permutations, partitions and peeking."""
# dists: more-itertools
import more_itertools as mi

print(list(mi.chunked(range(7), 3)), list(mi.windowed("abcde", 3)))
print(list(mi.distinct_permutations("aab")), mi.first_true([0, None, 3, 4]))
evens, odds = mi.partition(lambda x: x % 2, range(8))
print(list(evens), list(odds), list(mi.flatten([[1], [2, 3]])))
p = mi.peekable(iter("xyz"))
print(p.peek(), list(p), list(mi.unique_everseen("abracadabra")))
print(mi.nth_combination(range(10), 3, 42), list(mi.interleave_longest([1, 2, 3], "ab")))
