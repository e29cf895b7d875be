"""greenlet: coroutines switching back and forth, a generator built on them, exceptions."""
# dists: greenlet
from greenlet import GreenletExit, getcurrent, greenlet

log = []


def ping(n):
    for i in range(n):
        log.append("ping %d" % i)
        pong_g.switch(i)


def pong(i):
    while True:
        log.append("pong %d" % i)
        i = ping_g.switch()


ping_g, pong_g = greenlet(ping), greenlet(pong)
ping_g.switch(3)
print(log)


def gen():
    parent = getcurrent().parent
    for x in "abc":
        parent.switch(x)


g = greenlet(gen)
print([g.switch() for _ in range(3)], g.dead)
g2 = greenlet(lambda: 1 / 0)
try:
    g2.switch()
except ZeroDivisionError:
    print("ZeroDivisionError propagated")
g3 = greenlet(lambda: getcurrent().parent.switch("waiting"))
print(g3.switch(), g3.throw(GreenletExit), g3.dead)
