"""fontTools: builds a TrueType font, saves it, reads it back and subsets it."""
# dists: fonttools
import io

from fontTools.fontBuilder import FontBuilder
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.subset import Options, Subsetter
from fontTools.ttLib import TTFont


def square():
    pen = TTGlyphPen(None)
    pen.moveTo((100, 0)), pen.lineTo((100, 500)), pen.lineTo((400, 500)), pen.lineTo((400, 0))
    pen.closePath()
    return pen.glyph()


fb = FontBuilder(1000, isTTF=True)
fb.setupGlyphOrder([".notdef", "A", "B"])
fb.setupCharacterMap({ord("A"): "A", ord("B"): "B"})
fb.setupGlyf({".notdef": TTGlyphPen(None).glyph(), "A": square(), "B": square()})
fb.setupHorizontalMetrics({g: (500, 100) for g in (".notdef", "A", "B")})
fb.setupHorizontalHeader(ascent=800, descent=-200)
fb.setupNameTable({"familyName": "Corpus", "styleName": "Regular"})
fb.setupOS2()
fb.setupPost()
fb.font["head"].created = fb.font["head"].modified = 0
buf = io.BytesIO()
fb.save(buf)
f = TTFont(io.BytesIO(buf.getvalue()))
print(sorted(f.keys()), f.getGlyphOrder(), f["name"].getDebugName(1))
sub = Subsetter(Options())
sub.populate(text="A")
sub.subset(f)
print(f.getGlyphOrder())
