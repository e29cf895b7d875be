"""mistune: markdown to HTML with plugins loaded by name, and to an AST."""
# dists: mistune
import mistune

md = mistune.create_markdown(plugins=["strikethrough", "table", "footnotes", "url"])
print(md("# T\n\n~~old~~ new https://example.org\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nx[^1]\n\n[^1]: y\n"))
ast = mistune.create_markdown(renderer="ast")("*a* **b**")
print(ast)
