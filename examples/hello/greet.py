"""A local module imported by main.py."""

DEFAULT_NAME = "world"


def greeting(name=None):
    """The greeting for `name` (or the default one)."""
    return "Hello, {}!".format(name or DEFAULT_NAME)
