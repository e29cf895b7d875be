"""cachetools: LRU, LFU and TTL caches (with a fake clock) and the cached decorator."""
# dists: cachetools
import cachetools

calls = []


@cachetools.cached(cachetools.LRUCache(maxsize=2))
def square(x):
    calls.append(x)
    return x * x


print([square(x) for x in (1, 2, 1, 3, 2, 1)], calls)
now = [0]
ttl = cachetools.TTLCache(maxsize=10, ttl=5, timer=lambda: now[0])
ttl["a"] = 1
now[0] = 3
print("a" in ttl)
now[0] = 6
print("a" in ttl)
lfu = cachetools.LFUCache(maxsize=2)
lfu["x"], lfu["y"] = 1, 2
lfu["x"]
lfu["z"] = 3
print(sorted(lfu))
