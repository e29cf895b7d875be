"""Markdown: rendering with extensions loaded by name (tables, fenced code, TOC, footnotes)."""
# dists: markdown
import markdown

text = "[TOC]\n\n# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```python\nx = 1\n```\n\nNote[^1].\n\n[^1]: Foot.\n"
print(markdown.markdown(text, extensions=["tables", "fenced_code", "toc", "footnotes"]))
print(markdown.markdown("*hi* <b>x</b>", output_format="html"))
