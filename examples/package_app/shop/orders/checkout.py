from ..pricing import price_with_tax
from . import receipt
from .receipt import format_line

# what the relative imports above resolved to, as seen from this module
RESOLVED = "{} -> {}, {}".format(__package__, price_with_tax.__module__, receipt.__name__)


def checkout(catalog, order):
    total = 0
    lines = []
    for item, quantity in order:
        unit = catalog.price(item)
        total += unit * quantity
        lines.append(format_line(item, quantity, unit))
    lines.append(receipt.format_total(total))
    # price_with_tax, imported with `from ..pricing import`, used directly too
    lines.append("untaxed books stay at {}".format(price_with_tax(100, "books")))
    return lines
