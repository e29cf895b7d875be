"""wcwidth: terminal display widths of wide, combining and zero-width characters."""
# dists: wcwidth
from wcwidth import wcswidth, wcwidth

for s in ["abc", "コンニチハ", "e\u0301", "\u200b", "👍🏽", "\x1b"]:
    print(repr(s), wcswidth(s), [wcwidth(c) for c in s])
