"""MarkupSafe: escaping and Markup string operations (the C speedups)."""
# dists: markupsafe
from markupsafe import Markup, escape

print(escape("<script>alert('x') & \"y\"</script>"))
m = Markup("<b>{}</b>").format("<i>")
print(m, m.striptags(), Markup("&lt;a&gt;").unescape())
print(Markup(", ").join(["<a>", Markup("<b>")]))
import markupsafe

print("C speedups:", type(markupsafe._escape_inner).__name__)
