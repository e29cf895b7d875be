# What the answer depends on, recorded when it may be cached.
#
# The freezer reuses a cached answer, without running Python, while nothing it was made
# from has changed; freezer/src/build/analysis/deps.rs checks these records again:
# * "stats": the kind of every path stat()ed ("f" file, "d" directory, "o" other, "-" no
#   such path): how importlib, pkgutil and os.path look for modules, packages, markers;
# * "listings": a digest of every directory listed, its entry names and types, so a new
#   module that would shadow one found further along a search path is noticed;
# * "reads": size, mtime, ctime and inode of every file read, with the SHA-256 of what
#   was read when its times are too recent to be sure a later change moves them (the
#   file system's clock ticks coarsely; git calls such files "racily clean");
# * the working directory and sys.path, as the search path leaves out an entry equal to
#   the working directory.
# The os functions are wrapped, so that what the import system and the standard library
# look at on our behalf is recorded as surely as what this program looks at itself.

import hashlib
import os
import posix
import stat
import sys
import time

RACY_NS = 2 * 10**9
REAL_STAT = posix.stat
REAL_SCANDIR = posix.scandir


def stat_kind(mode):
    if stat.S_ISREG(mode):
        return "f"
    if stat.S_ISDIR(mode):
        return "d"
    return "o"


def entry_kind(entry):
    if entry.is_symlink():
        return "l"
    if entry.is_dir(follow_symlinks=False):
        return "d"
    if entry.is_file(follow_symlinks=False):
        return "f"
    return "o"


class Entries:
    """What os.scandir returns, over entries already read."""

    def __init__(self, entries):
        self.entries = iter(entries)

    def __iter__(self):
        return self

    def __next__(self):
        return next(self.entries)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        pass

    def close(self):
        pass


class Unobserved:
    """No records: for an answer that will not be cached."""

    def read(self, path, data=None):
        """Records a file read; `data` is what was read, if the caller has it."""

    def missing(self, path):
        """Records that `path` could not be opened."""

    def cannot_cache(self, reason):
        """Records that the answer depends on something no record can check."""

    def answer(self):
        return None

    def read_file(self, path):
        """The bytes of `path`, recorded as read (or as missing)."""
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            self.missing(path)
            raise
        self.read(path, data)
        return data


class Observations(Unobserved):
    """The file system as the analysis saw it (see above)."""

    def __init__(self):
        self.start = time.time_ns()
        self.stats = {}
        self.listings = {}
        self.reads = {}
        self.uncacheable = None

    @staticmethod
    def where(path):
        """`path` as recorded: absolute text; None for a file descriptor."""
        if isinstance(path, int):
            return None
        path = os.fsdecode(path)
        return path if path.startswith("/") else os.path.join(os.getcwd(), path)

    def install(self):
        def recorded_stat(path, *args, **kwargs):
            where = None if args or kwargs else self.where(path)
            try:
                result = REAL_STAT(path, *args, **kwargs)
            except OSError:
                if where is not None:
                    self.stats.setdefault(where, "-")
                raise
            if where is not None:
                self.stats.setdefault(where, stat_kind(result.st_mode))
            return result

        def recorded_scandir(path="."):
            return Entries(self.list(path))

        def recorded_listdir(path=None):
            return [entry.name for entry in self.list("." if path is None else path)]

        posix.stat = os.stat = recorded_stat
        posix.scandir = os.scandir = recorded_scandir
        posix.listdir = os.listdir = recorded_listdir

    def list(self, path):
        where = self.where(path)
        if where is None:
            self.uncacheable = "a directory was listed through a file descriptor"
        try:
            with REAL_SCANDIR(path) as it:
                entries = list(it)
        except OSError:
            if where is not None:
                self.listings.setdefault(where, "-")
            raise
        if where is not None and where not in self.listings:
            digest = hashlib.sha256()
            for name, kind in sorted((os.fsencode(e.name), entry_kind(e)) for e in entries):
                digest.update(name + b"\0" + kind.encode() + b"\n")
                if kind == "l":
                    # What a walk makes of a link is what it points to.
                    try:
                        os.stat(os.path.join(where, os.fsdecode(name)))
                    except OSError:
                        pass
            self.listings[where] = digest.hexdigest()
        return entries

    def read(self, path, data=None):
        where = self.where(path)
        if where in self.reads:
            return
        try:
            st = REAL_STAT(where)
        except OSError:
            self.stats.setdefault(where, "-")
            return
        digest = None
        if max(st.st_mtime_ns, st.st_ctime_ns) >= self.start - RACY_NS:
            if data is None:
                try:
                    with open(where, "rb") as f:
                        data = f.read()
                except OSError as e:
                    self.uncacheable = f"cannot read {where} again: {e.strerror}"
                    return
            digest = hashlib.sha256(data).hexdigest()
        self.reads[where] = {
            "size": st.st_size,
            "mtime_ns": st.st_mtime_ns,
            "ctime_ns": st.st_ctime_ns,
            "ino": st.st_ino,
            "sha256": digest,
        }

    def missing(self, path):
        self.stats.setdefault(self.where(path), "-")

    def cannot_cache(self, reason):
        self.uncacheable = reason

    def startup(self):
        """What made this interpreter's sys.path and sys.meta_path as they are: the modules
        it imported while starting (site, and what .pth files import), the .pth files,
        pyvenv.cfg, zip files on sys.path."""
        for module in list(sys.modules.values()):
            path = getattr(module, "__file__", None)
            if isinstance(path, str):
                self.read(path)
        executable_dir = os.path.dirname(sys.executable)
        for directory in (executable_dir, os.path.dirname(executable_dir)):
            config = os.path.join(directory, "pyvenv.cfg")
            if os.path.isfile(config):
                self.read(config)
        site = sys.modules.get("site")
        for directory in site.getsitepackages() if site else ():
            try:
                names = os.listdir(directory)
            except OSError:
                continue
            for name in names:
                if name.endswith(".pth"):
                    self.read(os.path.join(directory, name))
        for entry in sys.path:
            if entry and os.path.isfile(entry):
                self.read(entry)

    def answer(self):
        def utf8(paths):
            for path in paths:
                try:
                    path.encode("utf-8")
                except UnicodeEncodeError:
                    self.uncacheable = f"a path is not UTF-8: {path!r}"
                    continue
                yield path

        answer = {
            "cwd": os.getcwd(),
            "sys_path": list(utf8(dict.fromkeys(sys.path))),
            "stats": [{"path": p, "kind": self.stats[p]} for p in utf8(self.stats)],
            "listings": [{"path": p, "digest": self.listings[p]} for p in utf8(self.listings)],
            "reads": [dict(self.reads[p], path=p) for p in utf8(self.reads)],
        }
        answer["uncacheable"] = self.uncacheable
        return answer
