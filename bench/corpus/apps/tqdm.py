"""tqdm: progress bars written to a buffer, with a fixed format (no times)."""
# dists: tqdm
import io

from tqdm import tqdm, trange

buf = io.StringIO()
total = 0
for i in tqdm(range(50), file=buf, bar_format="{l_bar}{bar:20}| {n_fmt}/{total_fmt}", mininterval=0,
              ascii=True, desc="work"):
    total += i
print(total, buf.getvalue().split("\r")[-1].strip())
buf = io.StringIO()
with tqdm(total=4, file=buf, bar_format="{n}/{total}", mininterval=0) as bar:
    for _ in trange(4, file=io.StringIO()):
        bar.update(1)
print(buf.getvalue().split("\r")[-1].strip())
print(tqdm.format_sizeof(123456789), tqdm.format_interval(3725))
