"""wrapt: universal decorators, object proxies and post-import hooks."""
# dists: wrapt
import wrapt


@wrapt.decorator
def doubled(wrapped, instance, args, kwargs):
    return 2 * wrapped(*args, **kwargs)


class C:
    @doubled
    def m(self, x):
        return x + 1


@doubled
def f(x):
    return x


print(f(3), C().m(3), f.__name__, f.__wrapped__(3))


class Logged(wrapt.ObjectProxy):
    def append(self, x):
        print("append", x)
        self.__wrapped__.append(x)


lst = Logged([])
lst.append(1)
print(lst, isinstance(lst, list), len(lst))
hooked = []
wrapt.register_post_import_hook(lambda m: hooked.append(m.__name__), "colorsys")
import colorsys  # noqa: F401

print(hooked)
