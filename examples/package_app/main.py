"""package_app: a package with subpackages and relative imports, run from main.py."""
import importlib
import sys

import shop
import shop.orders.checkout
from shop import catalog
from shop.orders import receipt


def describe(module):
    return "{:<22} package={}".format(module.__name__, module.__package__)


def main():
    cat = shop.Catalog()
    order = [("apple", 3), ("book", 1), ("tea", 2)]
    for line in shop.orders.checkout.checkout(cat, order):
        print(line)
    print("catalog is shop.catalog:", catalog is sys.modules["shop.catalog"])
    print("receipt is shop.orders.receipt:", receipt is importlib.import_module("shop.orders.receipt"))
    print("main module:", __name__)
    print("modules:")
    for name in sorted(n for n in sys.modules if n == "shop" or n.startswith("shop.")):
        print("  " + describe(sys.modules[name]))
    print("resolved in checkout:", shop.orders.checkout.RESOLVED)


if __name__ == "__main__":
    main()
