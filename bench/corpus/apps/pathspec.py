"""pathspec: gitignore-style pattern matching over a list of paths."""
# dists: pathspec
import pathspec

spec = pathspec.PathSpec.from_lines("gitwildmatch", ["*.pyc", "build/", "!keep.pyc", "/top.txt"])
paths = ["a.py", "a.pyc", "keep.pyc", "build/x", "src/build/y", "top.txt", "sub/top.txt"]
print(sorted(spec.match_files(paths)))
