#!/usr/bin/env python3
"""Shows that a change of pyfreeze left bundles as they were.

    python3 bench/same_bundles.py --before REV [--python 3.8,3.13] [--apps hello,cli]

Builds pyfreeze at git revision REV (in a detached worktree under target/same-bundles/) and
as it is in this working tree, freezes every example app and benchmark app with both, with
every pyenv CPython 3 (newest patch of each minor) or the ones named, and compares the two
bundles entry by entry, through the working tree's `pyfreeze ls --json` (kind, flags,
compression, sizes and CRC-32 of every entry). The runtime's own Python (entries named
`_pyfreeze*`) is listed apart, with its sizes before and after, since a change of the boot
code changes those and only those. Exits 1 if any other entry differs, 0 otherwise.

Apps with a requirements.txt are frozen from a virtualenv per interpreter (made once under
target/same-bundles/, the requirements installed by pip from the package index); the others
too, so that every build of one interpreter sees the same site-packages.
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pfbench.procs import clean_env, log
from pfbench.pythons import pyenv_pythons

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "target" / "same-bundles"
APPS = {
    "hello": ROOT / "examples" / "hello",
    "package_app": ROOT / "examples" / "package_app",
    "cli": ROOT / "examples" / "cli",
    "thirdparty": ROOT / "examples" / "thirdparty",
    "bench-hello": ROOT / "bench" / "apps" / "hello",
    "bench-stdlib": ROOT / "bench" / "apps" / "stdlib",
    "bench-thirdparty": ROOT / "bench" / "apps" / "thirdparty",
    "bench-pool": ROOT / "bench" / "apps" / "pool",
}
BOOT_PREFIX = "_pyfreeze"
COMPARED = ("package", "namespace", "bootstrap", "compression", "stored", "original", "crc32")


def run(argv, **kwargs):
    done = subprocess.run(argv, capture_output=True, text=True, env=clean_env(), check=False,
                          **kwargs)
    if done.returncode != 0:
        sys.exit("same_bundles: {} failed ({}):\n{}".format(
            " ".join(map(str, argv)), done.returncode, done.stderr[-4000:]))
    return done.stdout


def build_pyfreeze(source, target):
    log(f"building pyfreeze in {source}")
    run(["cargo", "build", "--release", "-p", "pyfreeze", "-p", "pyfreeze-stub",
         "--target-dir", str(target)], cwd=source)
    return target / "release" / "pyfreeze"


def before_tree(rev):
    tree = WORK / "before-src"
    if tree.exists():
        run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT)
    run(["git", "worktree", "add", "--detach", str(tree), rev], cwd=ROOT)
    return tree


def interpreters(wanted):
    newest = {}
    for version, exe in pyenv_pythons():
        if version[:2] >= (3, 8):
            newest[version[:2]] = (version, exe)
    chosen = [newest[key] for key in sorted(newest)]
    if wanted:
        keys = {tuple(int(p) for p in w.split(".")) for w in wanted.split(",")}
        chosen = [(v, exe) for v, exe in chosen if v[:2] in keys]
    if not chosen:
        sys.exit("same_bundles: no pyenv CPython 3.8-3.13 found (or none of --python)")
    return chosen


def venv_for(version, exe, apps):
    venv = WORK / "venvs" / ".".join(map(str, version))
    python = venv / "bin" / "python"
    marker = venv / "requirements-installed"
    requirements = sorted({str(APPS[a] / "requirements.txt") for a in apps
                           if (APPS[a] / "requirements.txt").exists()})
    wanted = "\n".join(requirements)
    if marker.exists() and marker.read_text() == wanted:
        return python
    log(f"making a virtualenv for {exe}")
    run([exe, "-m", "venv", "--clear", str(venv)])
    for requirement in requirements:
        run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
             "-r", requirement])
    marker.write_text(wanted)
    return python


def freeze(pyfreeze, python, app, out):
    out.parent.mkdir(parents=True, exist_ok=True)
    run([str(pyfreeze), "build", str(APPS[app]), "--python", str(python), "--no-cache",
         "-o", str(out)])


def entries(pyfreeze, bundle):
    listing = json.loads(run([str(pyfreeze), "ls", "--json", str(bundle)]))
    return {(e["kind"], e["name"]): e for e in listing["entries"]}


def compare(pyfreeze, before, after):
    """(differences, boot entries as (kind, name, size before, size after))"""
    old, new = entries(pyfreeze, before), entries(pyfreeze, after)
    differences, boot = [], []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if key[1].startswith(BOOT_PREFIX):
            boot.append((key[0], key[1], a and a["original"], b and b["original"]))
        elif a is None or b is None:
            differences.append("{} {}: only {}".format(*key, "after" if a is None else "before"))
        else:
            changed = [f for f in COMPARED if a.get(f) != b.get(f)]
            if changed:
                differences.append("{} {}: {} differ".format(*key, ", ".join(changed)))
    return differences, boot


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", required=True, help="the git revision to compare with")
    parser.add_argument("--python", help="minor versions, e.g. 3.8,3.13 [default: all]")
    parser.add_argument("--apps", help="comma-separated, of: " + ", ".join(APPS))
    args = parser.parse_args()
    apps = args.apps.split(",") if args.apps else list(APPS)
    unknown = [a for a in apps if a not in APPS]
    if unknown:
        sys.exit("same_bundles: unknown app(s): " + ", ".join(unknown))

    WORK.mkdir(parents=True, exist_ok=True)
    before = build_pyfreeze(before_tree(args.before), WORK / "before-target")
    after = build_pyfreeze(ROOT, Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")))
    failed = False
    print("{:<8} {:<17} {:>7}  {:<28} {}".format(
        "python", "app", "entries", "other entries", "runtime's Python (bytes before -> after)"))
    for version, exe in interpreters(args.python):
        python = venv_for(version, exe, apps)
        label = ".".join(map(str, version))
        for app in apps:
            out = WORK / "out" / label / app
            freeze(before, python, app, out.with_suffix(".before"))
            freeze(after, python, app, out.with_suffix(".after"))
            differences, boot = compare(after, out.with_suffix(".before"),
                                        out.with_suffix(".after"))
            same_file = out.with_suffix(".before").read_bytes() == \
                out.with_suffix(".after").read_bytes()
            verdict = "byte-identical file" if same_file else (
                "identical" if not differences else f"{len(differences)} DIFFER")
            boot_text = ", ".join(f"{k} {n} {a}->{b}" for k, n, a, b in boot
                                  if a != b) or "unchanged"
            count = len(entries(after, out.with_suffix(".after")))
            print(f"{label:<8} {app:<17} {count:>7}  {verdict:<28} {boot_text}")
            for difference in differences:
                print("    " + difference)
            failed |= bool(differences)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
