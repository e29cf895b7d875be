"""markdown-it-py: CommonMark and GFM-like rendering, and the token stream."""
# dists: markdown-it-py, mdurl
from markdown_it import MarkdownIt

md = MarkdownIt("commonmark").enable("table").enable("strikethrough")
print(md.render("# T\n\n| a | b |\n|---|---|\n| 1 | ~~2~~ |\n\n<x> & [l](http://e.org)\n"))
print([t.type for t in md.parse("*a* `b`")])
