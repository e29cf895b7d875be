"""openpyxl: a workbook with values, formulas, styles and a merge, saved and loaded back."""
# dists: openpyxl, et-xmlfile
import io

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

wb = Workbook()
ws = wb.active
ws.title = "data"
ws.append(["name", "qty", "price"])
for row in [("bolt", 10, 0.25), ("nut", 20, 0.1), ("gear", 2, 7.5)]:
    ws.append(row)
ws["D1"] = "total"
for r in range(2, 5):
    ws[f"D{r}"] = f"=B{r}*C{r}"
ws["A1"].font = Font(bold=True)
ws.merge_cells("A6:C6")
buf = io.BytesIO()
wb.save(buf)
wb2 = load_workbook(io.BytesIO(buf.getvalue()))
ws2 = wb2["data"]
print([[c.value for c in row] for row in ws2.iter_rows()])
print(ws2["A1"].font.b, [str(m) for m in ws2.merged_cells.ranges], get_column_letter(30))
