"""hello: prints a greeting; `main.py NAME` greets NAME instead of the world.

Its output is deterministic (no paths, no interpreter version, no clock), so the frozen app
and `python main.py` can be compared byte for byte.
"""
import sys
import textwrap
from collections import Counter
from datetime import date, timedelta

import greet

names = sys.argv[1:]
print(greet.greeting(" and ".join(names)))
print("greet module:", greet.__name__)

day = date(2024, 1, 1) + timedelta(days=100)
print("100 days after 2024-01-01:", day.isoformat(), day.strftime("%A"))

letters = Counter(ch for ch in "frozen python apps" if ch.isalpha())
print("most common letters:", ", ".join("{}={}".format(k, v) for k, v in sorted(letters.most_common(3))))
print(textwrap.fill("This app was run from one executable, or from its sources: it cannot tell.", width=40))
