"""thirdparty: uses packages installed from PyPI into a virtualenv, the way apps do.

Each part prints what a package gives, so a frozen build and `<venv>/bin/python main.py`
can be compared line for line: data files read through importlib.resources (certifi),
C extension modules (markupsafe, cffi), shared libraries vendored by a wheel in
`pillow.libs/` (libfreetype and libharfbuzz need each other), modules a package imports by a computed name (Pillow's format plugins,
pygments' lexers, formatters and styles), and importlib.metadata (attrs reads its own
version through it).
"""
import hashlib
import importlib.machinery
import importlib.metadata
import io
import ssl
import sys

import attr
import certifi
import cffi
import markupsafe
from PIL import Image, ImageDraw, ImageFont, features
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer, get_lexer_by_name

EXTENSION_SUFFIXES = tuple(importlib.machinery.EXTENSION_SUFFIXES)


def digest(data):
    return "sha256 %s, %d bytes" % (hashlib.sha256(data).hexdigest()[:16], len(data))


def show_certifi():
    # Not certifi.where(): it needs a real file, and copies the bundle's to a temporary one.
    pem = certifi.contents()
    print("certifi cacert.pem:", digest(pem.encode("ascii")))
    print("certifi certificates:", pem.count("-----BEGIN CERTIFICATE-----"))
    if sys.version_info >= (3, 9):
        from importlib.resources import files

        raw = files("certifi").joinpath("cacert.pem").read_bytes()
    else:
        from importlib.resources import read_binary

        raw = read_binary("certifi", "cacert.pem")
    print("certifi importlib.resources gives the same bytes:", raw == pem.encode("ascii"))
    context = ssl.create_default_context(cadata=pem)
    print("ssl trusts certifi's roots:", len(context.get_ca_certs()) == pem.count("BEGIN"))


def show_markupsafe():
    print("markupsafe escape:", markupsafe.escape("<a href='x'>&</a>"))
    print("markupsafe format:", markupsafe.Markup("<b>{}</b>").format("<i>"))
    # markupsafe quietly falls back to pure Python when its C extension does not load.
    speedups = sys.modules.get("markupsafe._speedups")
    print("markupsafe._speedups is an extension module:",
          speedups is not None and speedups.__file__.endswith(EXTENSION_SUFFIXES))
    # markupsafe 3 wraps the C function in a Python escape(); 2.x exports it as escape.
    inner = getattr(markupsafe, "_escape_inner", markupsafe.escape)
    print("markupsafe escapes with:", inner.__module__)


def show_cffi():
    import _cffi_backend

    print("_cffi_backend is an extension module:",
          _cffi_backend.__file__.endswith(EXTENSION_SUFFIXES))
    ffi = cffi.FFI()
    ffi.cdef("size_t strlen(const char *s); int abs(int j); int atoi(const char *s);")
    libc = ffi.dlopen(None)
    print("cffi strlen:", libc.strlen(b"frozen with pyfreeze"))
    print("cffi abs:", libc.abs(-42), "atoi:", libc.atoi(b"  123abc"))
    numbers = ffi.new("int[]", [3, 1, 2])
    print("cffi array:", list(numbers), ffi.sizeof(numbers), ffi.string(ffi.new("char[]", b"ok")))


def show_pillow():
    image = Image.new("RGB", (48, 32))
    image.putdata([(x * 5, y * 8, (x + y) * 3) for y in range(32) for x in range(48)])
    # WEBP and TIFF come from plugins that only Image.init() imports, by name; all but PNG
    # need a library from pillow.libs/.
    for fmt, options in [("PNG", {}), ("JPEG", {"quality": 90}), ("WEBP", {"quality": 90}),
                         ("TIFF", {"compression": "tiff_deflate"})]:
        out = io.BytesIO()
        image.save(out, fmt, **options)
        data = out.getvalue()
        again = Image.open(io.BytesIO(data))
        again.load()
        print("pillow", fmt, again.format, again.size, again.mode, digest(data))
    # freetype2 is libfreetype and libharfbuzz from pillow.libs/, which need each other.
    print("pillow features:",
          [f for f in ("jpg", "webp", "zlib", "libtiff", "freetype2") if features.check(f)])
    # Pillow ships no font: the machine's DejaVu Sans, found by name in its font
    # directories, when there is one.
    try:
        font = ImageFont.truetype("DejaVuSans.ttf", 16)
    except OSError:
        print("pillow truetype: no DejaVuSans.ttf here")
    else:
        text = Image.new("L", (120, 24))
        ImageDraw.Draw(text).text((2, 2), "pyfreeze", font=font, fill=255)
        print("pillow truetype:", text.getbbox(), digest(text.tobytes()))


def show_pygments():
    code = "def add(a, b):\n    return a + b  # sum\n"
    html = highlight(code, PythonLexer(), HtmlFormatter())
    print("pygments python:", digest(html.encode()))
    print("pygments python line 2:", html.splitlines()[1])
    json = highlight('{"a": [1, true]}', get_lexer_by_name("json"),
                     HtmlFormatter(style="monokai", nowrap=True))
    print("pygments json:", json.strip())


def show_metadata():
    for name in ("attrs", "certifi", "cffi", "markupsafe", "pillow", "pycparser", "pygments"):
        print("version", name, importlib.metadata.version(name))
    print("requires cffi:", importlib.metadata.requires("cffi"))
    print("attr.__version__ (read through importlib.metadata):", attr.__version__)

    @attr.s(auto_attribs=True, frozen=True)
    class Point:
        x: int
        y: int = 0

    print("attrs:", Point(1), attr.asdict(Point(2, 3)))


show_certifi()
show_markupsafe()
show_cffi()
show_pillow()
show_pygments()
show_metadata()
