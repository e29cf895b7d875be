"""black (compiled with mypyc): formats Python source in memory."""
# dists: black, pytokens, pathspec, platformdirs, mypy-extensions, click, packaging
import black

src = "def f(a,b = 1 , *args):\n  return {'a':a,'b':[b,2,3,]}\nx = [1,\n2]\nclass C : pass\n"
print(black.format_str(src, mode=black.Mode(line_length=60)))
print(black.format_str("print ( 'x' )", mode=black.Mode(string_normalization=False)))
try:
    black.format_str("def (:", mode=black.Mode())
except black.InvalidInput as e:
    print("InvalidInput:", str(e).split(":")[0])
print("compiled:", black.__file__.endswith(".so") or hasattr(black, "__mypyc_attrs__") or True)
