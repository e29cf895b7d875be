"""tabulate: renders one table in several formats."""
# dists: tabulate
from tabulate import tabulate

rows = [["numpy", 2.5, 1200], ["pandas", 3.1, 850], ["rich", 15.0, 42]]
for fmt in ("plain", "grid", "github", "latex", "html"):
    print(tabulate(rows, headers=["pkg", "version", "stars"], tablefmt=fmt, floatfmt=".2f"))
