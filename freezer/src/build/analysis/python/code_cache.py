# The code entries of the build cache, which this program reads and writes itself in the
# layout that freezer/src/cache.rs defines and the request passes on.

import binascii
import hashlib
import importlib.util
import marshal
import os
import sys


class EntryLayout:
    """Where the parts of an entry's header lie: the magic, the key, the payload's length
    and its CRC-32 (both little-endian), each ending where the next begins; the payload
    follows. `layout` is the request's "entry_layout"."""

    def __init__(self, layout):
        self.magic = bytes(layout["magic"])
        self.key = layout["key"]
        self.length = layout["length"]
        self.crc32 = layout["crc32"]
        self.payload = layout["payload"]

    def wrap(self, key, payload):
        return (
            self.magic
            + key
            + len(payload).to_bytes(self.crc32 - self.length, "little")
            + binascii.crc32(payload).to_bytes(self.payload - self.crc32, "little")
            + payload
        )

    def unwrap(self, entry, key):
        """The payload of `entry` if it is an intact entry for `key`, else None."""
        payload = entry[self.payload :]
        if (
            entry[: self.key] != self.magic
            or entry[self.key : self.length] != key
            or int.from_bytes(entry[self.length : self.crc32], "little") != len(payload)
            or int.from_bytes(entry[self.crc32 : self.payload], "little") != binascii.crc32(payload)
        ):
            return None
        return payload


class CodeCache:
    """The code entries of the build cache: for a module's source, the file name it is
    compiled under and the optimisation level, with this interpreter (its version and
    build, as bytecode is theirs) and this program (which reads the imports), what the
    compiler answered, with the imports and the use of __file__ read from the code:
    (code bytes, imports, file use as scan.file_use gives it), or (None, line, message)
    for an error.

    Creating a file costs more than compiling a small module on some file systems, and
    hundreds of standard library modules are compiled for even the smallest app, so the
    modules of each directory of the search path other than the app's (the standard
    library, a site-packages: shared by the apps built with this interpreter, seldom
    changed) are kept together in one entry, read once and written again only when it
    gains modules. The app's own modules, which change as it is worked on, have an entry
    each."""

    def __init__(self, request, optimize, app_dir, search_path):
        self.dir = request["code_dir"]
        self.layout = EntryLayout(request["entry_layout"])
        self.app_dir = app_dir
        # Longest first: a virtualenv inside the app directory is not the app.
        self.roots = sorted(search_path, key=len, reverse=True)
        self.prefix = hashlib.sha256()
        magic = importlib.util.MAGIC_NUMBER.hex()
        for field in (request["salt"], sys.version, magic, str(optimize)):
            self.update(self.prefix, field.encode("utf-8"))
        self.packs = {}  # root -> {key: answer}, as read
        self.added = {}  # root -> {key: answer}, compiled here
        self.hits = 0
        self.compiled = 0

    @staticmethod
    def update(digest, data):
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)

    def key(self, filename, source):
        digest = self.prefix.copy()
        self.update(digest, filename.encode("utf-8", "surrogateescape"))
        self.update(digest, source)
        return digest.digest()

    def root(self, module):
        """The search path directory whose entry holds `module`, None for the app's."""
        origin = module.origin
        for root in self.roots if origin else ():
            if origin.startswith(root.rstrip("/") + "/"):
                return None if root == self.app_dir else root
        return None

    def pack_key(self, root):
        digest = self.prefix.copy()
        self.update(digest, b"modules below " + root.encode("utf-8", "surrogateescape"))
        return digest.digest()

    def pack(self, root):
        if root not in self.packs:
            pack = self.read(self.pack_key(root))
            self.packs[root] = pack if isinstance(pack, dict) else {}
        return self.packs[root]

    def get(self, module, key):
        root = self.root(module)
        answer = self.read(key) if root is None else self.pack(root).get(key)
        return answer if is_compiled_answer(answer) else None

    def put(self, module, key, answer):
        root = self.root(module)
        if root is None:
            self.write(key, answer)
        else:
            self.added.setdefault(root, {})[key] = answer

    def finish(self):
        """Stores the entries that gained modules, with what another build may have
        stored in them meanwhile."""
        for root, added in self.added.items():
            pack = self.read(self.pack_key(root))
            pack = pack if isinstance(pack, dict) else {}
            pack.update(added)
            self.write(self.pack_key(root), pack)

    def read(self, key):
        try:
            with open(os.path.join(self.dir, key.hex()), "rb") as f:
                entry = f.read()
        except OSError:
            return None
        payload = self.layout.unwrap(entry, key)
        if payload is None:
            return None
        try:
            return marshal.loads(payload)
        except (EOFError, ValueError, TypeError):
            return None

    def write(self, key, value):
        """Stores an entry as the freezer does, through a temporary file renamed into
        place; a failure only costs the next build a compilation."""
        entry = self.layout.wrap(key, marshal.dumps(value))
        temp = os.path.join(self.dir, f".tmp-{os.getpid()}-{os.urandom(8).hex()}")
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
            with open(fd, "wb") as f:
                f.write(entry)
            os.replace(temp, os.path.join(self.dir, key.hex()))
        except OSError:
            try:
                os.unlink(temp)
            except OSError:
                pass


def is_compiled_answer(answer):
    if not (isinstance(answer, tuple) and len(answer) == 3):
        return False
    code, second, third = answer
    if code is None:
        return isinstance(third, str)
    return (
        isinstance(code, bytes)
        and isinstance(second, tuple)
        and isinstance(third, tuple)
        and len(third) == 4
    )
