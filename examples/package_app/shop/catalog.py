from . import inventory
from .pricing import price_with_tax


class Catalog:
    def __init__(self):
        self.stock = dict(inventory.STOCK)

    def price(self, item):
        base, category = inventory.PRICES[item]
        return price_with_tax(base, category)
