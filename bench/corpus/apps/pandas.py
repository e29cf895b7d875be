"""pandas: a frame built, grouped, merged, pivoted, resampled, and written and read as CSV."""
# dists: pandas
import io

import numpy as np
import pandas as pd

rng = np.random.default_rng(7)
df = pd.DataFrame({
    "city": ["Oslo", "Lima", "Oslo", "Pune", "Lima", "Pune", "Oslo", "Lima"],
    "year": [2020, 2020, 2021, 2021, 2021, 2022, 2022, 2022],
    "sales": rng.integers(10, 100, 8),
})
print(df.groupby("city")["sales"].agg(["sum", "mean", "count"]).round(2))
print(df.pivot_table(index="city", columns="year", values="sales", aggfunc="sum", fill_value=0))
pop = pd.DataFrame({"city": ["Oslo", "Lima", "Pune"], "pop_m": [0.7, 10.7, 3.1]})
merged = df.merge(pop, on="city").sort_values(["city", "year"]).reset_index(drop=True)
print(merged.to_string())
buf = io.StringIO()
merged.to_csv(buf, index=False)
back = pd.read_csv(io.StringIO(buf.getvalue()))
print("csv round trip equal:", back.equals(merged))
ts = pd.Series(range(10), index=pd.date_range("2024-01-01", periods=10, freq="D", tz="UTC"))
print(ts.resample("3D").sum().to_string())
print(ts.index.tz_convert("Asia/Tokyo")[0])
print(pd.to_datetime(["2024-03-01 10:00", "2024-03-02"], format="ISO8601").strftime("%Y-%m-%d %H:%M").tolist())
cat = pd.Categorical(["b", "a", "c", "a"], categories=["a", "b", "c"], ordered=True)
print(pd.Series(cat).value_counts().sort_index().to_dict())
print(df.describe().loc[["mean", "max"]].round(3).to_dict())
print(pd.eval("df.sales * 2 + 1").tolist())
