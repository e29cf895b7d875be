"""Pillow: drawing, filters, colour conversion, and PNG/JPEG/GIF/WebP encoding and decoding."""
# dists: pillow
import hashlib
import io

from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps

im = Image.new("RGB", (64, 48), "white")
d = ImageDraw.Draw(im)
d.rectangle([4, 4, 30, 30], fill=(200, 30, 30))
d.ellipse([20, 10, 60, 44], outline="blue", width=3)
d.text((2, 34), "Hi", fill="black", font=ImageFont.load_default())
im = im.filter(ImageFilter.GaussianBlur(1))
print("pixels sha:", hashlib.sha256(im.tobytes()).hexdigest()[:16])
for fmt in ("PNG", "JPEG", "GIF", "WEBP", "TIFF", "BMP"):
    buf = io.BytesIO()
    im.save(buf, fmt)
    back = Image.open(io.BytesIO(buf.getvalue()))
    back.load()
    print(fmt, back.format, back.size, back.mode)
g = ImageOps.grayscale(im)
print("histogram head:", g.histogram()[250:256])
print("thumbnail:", im.resize((16, 12), Image.LANCZOS).getpixel((5, 5)))
