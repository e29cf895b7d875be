"""decorator: signature-preserving decorators and decorator factories."""
# dists: decorator
import inspect

from decorator import decorator

log = []


@decorator
def traced(func, *args, **kw):
    log.append((func.__name__, args))
    return func(*args, **kw)


@traced
def add(a, b=2, *, c=3):
    "Adds."
    return a + b + c


print(add(1), add(1, 5, c=0), log)
print(inspect.signature(add), add.__doc__, add.__name__)
