from .. import inventory


def cents(value):
    return "{}.{:02d}".format(value // 100, value % 100)


def format_line(item, quantity, unit):
    left = inventory.STOCK[item] - quantity
    return "{:<6} x{} @ {:>6} = {:>7}  ({} left)".format(item, quantity, cents(unit), cents(unit * quantity), left)


def format_total(total):
    return "{:<6}{:>24}".format("total", cents(total))
