"""pycparser: parses C declarations and generates C back from the AST."""
# dists: pycparser
from pycparser import c_generator, c_parser

src = "typedef int T; struct s { T a; char *b[4]; }; int f(int x, struct s *p) { return x + p->a * 2; }"
ast = c_parser.CParser().parse(src)
print([type(e).__name__ for e in ast.ext])
print(c_generator.CGenerator().visit(ast))
