"""cli: read JSON on stdin, print it (or the part `--key` selects) as JSON on stdout.

Exit status: 0 on success, 2 for invalid JSON (message on stderr), 1 when `--key` selects
nothing (message on stderr) or, with `--fail`, after an uncaught exception (traceback on
stderr: `--fail` raises it from inside `json.loads`, through the stdlib's frames).
"""
import argparse
import json
import sys


class FailRequested(Exception):
    """Raised on purpose by --fail."""


def parse_args(argv):
    # `prog` is set so that usage and error messages do not depend on how the app was started.
    parser = argparse.ArgumentParser(prog="cli", description="Pretty-print JSON from stdin.")
    parser.add_argument("--key", help="dotted path of the part to print, e.g. items.0.name")
    parser.add_argument("--indent", type=int, default=None, help="indent by N spaces")
    parser.add_argument("--sort", action="store_true", help="sort object keys")
    parser.add_argument("--fail", action="store_true", help="raise an uncaught exception")
    return parser.parse_args(argv)


def refuse(obj):
    raise FailRequested("--fail was given; the object had {} keys".format(len(obj)))


def load(text, fail):
    if fail:
        return json.loads(text, object_hook=refuse)
    return json.loads(text)


def select(doc, key):
    for part in key.split(".") if key else []:
        if isinstance(doc, list):
            doc = doc[int(part)]
        else:
            doc = doc[part]
    return doc


def main(argv):
    args = parse_args(argv)
    text = sys.stdin.read()
    try:
        doc = load(text, args.fail)
    except json.JSONDecodeError as err:
        print("cli: invalid JSON on stdin: {}".format(err), file=sys.stderr)
        sys.exit(2)
    try:
        doc = select(doc, args.key)
    except (KeyError, IndexError, ValueError, TypeError):
        sys.exit("cli: no value at key {!r}".format(args.key))
    print(json.dumps(doc, indent=args.indent, sort_keys=args.sort))


if __name__ == "__main__":
    main(sys.argv[1:])
