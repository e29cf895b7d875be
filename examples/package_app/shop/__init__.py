"""A small shop: the package's __init__ imports from its submodule `catalog`."""
from .catalog import Catalog

__all__ = ["Catalog"]
