"""charset-normalizer: detects the encodings of byte strings."""
# dists: charset-normalizer
from charset_normalizer import from_bytes

samples = {
    "utf-8": "Grüße aus Köln — ünïcödé text that is long enough to be sure.".encode(),
    "cp1251": "Привет, как дела? Это проверка кодировки текста на русском языке.".encode("cp1251"),
    "shift_jis": "日本語のテキストです。エンコーディングを検出します。".encode("shift_jis"),
}
for want, data in samples.items():
    best = from_bytes(data).best()
    print(want, "->", best.encoding, str(best)[:12])
