"""hello: prints a greeting; `hello NAME...` greets them instead of the world.

The smallest useful app: one local module and `sys`. It is what bench/ times against
`python -I -S -c pass`, the floor for any CPython process.
"""
import sys

import greet

print(greet.greeting(" and ".join(sys.argv[1:])))
