"""Pygments: highlighting code found by lexer name and file name, to HTML and terminal."""
# dists: pygments
from pygments import highlight
from pygments.formatters import HtmlFormatter, Terminal256Formatter, get_formatter_by_name
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename, guess_lexer

code = "def f(x):\n    return {'a': x ** 2}  # square\n"
print(highlight(code, get_lexer_by_name("python"), HtmlFormatter(style="friendly")))
print(highlight("SELECT a FROM t WHERE b = 1;", get_lexer_for_filename("q.sql"),
                Terminal256Formatter(style="monokai")))
print(get_lexer_for_filename("x.rs").name, guess_lexer("#!/bin/bash\necho hi\n").name)
print(highlight('{"a": [1, 2]}', get_lexer_by_name("json"), get_formatter_by_name("rtf")).count("\\cf"))
