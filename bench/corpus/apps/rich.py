"""rich: tables, markdown, syntax highlighting, trees and a traceback, rendered to text."""
# dists: rich, pygments, markdown-it-py, mdurl
from rich.console import Console
from rich.markdown import Markdown
from rich.syntax import Syntax
from rich.table import Table
from rich.tree import Tree

console = Console(record=True, width=72, color_system="truecolor", force_terminal=True)
t = Table(title="Packages")
t.add_column("name")
t.add_column("kind", justify="right")
t.add_row("numpy", "[bold]C[/bold]")
t.add_row("orjson", "Rust")
console.print(t)
console.print(Markdown("# Title\n\n* one\n* **two**\n\n```python\nprint(1)\n```"))
console.print(Syntax("def f(x):\n    return x * 2\n", "python", theme="monokai", line_numbers=True))
tree = Tree("root")
tree.add("a").add("b")
console.print(tree)
console.print(":thumbs_up: emoji and [underline]style[/underline]")
print(console.export_text())
print(len(console.export_html(inline_styles=True)) > 500)
