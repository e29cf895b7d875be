"""matplotlib: a line plot, a bar chart and mathtext rendered by the Agg backend to PNG and SVG."""
# dists: matplotlib, contourpy, kiwisolver, fonttools, cycler, pyparsing
import hashlib
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

matplotlib.rcParams["svg.hashsalt"] = "corpus"
x = np.linspace(0, 2 * np.pi, 100)
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(6, 3), dpi=80)
ax1.plot(x, np.sin(x), label=r"$\sin(x)$")
ax1.legend()
ax1.set_title(r"$\alpha^2 + \beta_i$")
ax2.bar([0, 1, 2], [3, 1, 2], color="tab:orange")
ax2.contour(*np.meshgrid(np.arange(5), np.arange(5)), np.add.outer(np.arange(5), np.arange(5)))
fig.tight_layout()
png = io.BytesIO()
fig.savefig(png, format="png", metadata={"Software": None})
svg = io.BytesIO()
fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
arr = np.asarray(fig.canvas.buffer_rgba())
print("canvas:", arr.shape, "ink pixels:", int((arr[..., :3] < 128).any(axis=-1).sum()))
print("png bytes sha256:", hashlib.sha256(png.getvalue()).hexdigest()[:16])
print("svg has text paths:", b"<path" in svg.getvalue(), len(svg.getvalue()) > 1000)
print("font:", matplotlib.font_manager.findfont("DejaVu Sans").rsplit("/", 1)[-1])
