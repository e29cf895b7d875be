"""ctypes finds the shared libraries the bundle carries. Imported by the boot module
(_pyfreeze_boot) when ctypes or ctypes.util is imported."""

import _pyfreeze


def adapt_ctypes(ctypes):
    """``ctypes.CDLL("libz.so.1")`` must get the bundled copy of a library: load it first,
    and the dynamic loader finds it, already loaded, by its soname."""
    cdll_init = ctypes.CDLL.__init__

    def __init__(self, name, *args, **kwargs):
        if isinstance(name, str) and "/" not in name:
            _pyfreeze.load_library(name)
        cdll_init(self, name, *args, **kwargs)

    __init__.__doc__ = cdll_init.__doc__
    ctypes.CDLL.__init__ = __init__


def adapt_ctypes_util(util):
    """``ctypes.util.find_library(name)`` finds bundled libraries first, as it would have
    found them on the machine the bundle was built on."""
    find_on_system = util.find_library

    def find_library(name):
        return _pyfreeze.find_library(name) or find_on_system(name)

    find_library.__doc__ = find_on_system.__doc__
    util.find_library = find_library
