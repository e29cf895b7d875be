from .tax import RATES, price_with_tax

__all__ = ["RATES", "price_with_tax"]
