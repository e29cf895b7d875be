# tax rates in per-mille, by category
RATES = {"food": 70, "books": 0}


def price_with_tax(cents, category):
    """Price in cents including tax, rounded half up."""
    return cents + (cents * RATES[category] + 500) // 1000
