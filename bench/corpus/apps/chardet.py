"""chardet: detects the encodings of byte strings."""
# dists: chardet
import chardet

for text, enc in [("Grüße aus Köln, schöne Äpfel und Öl für alle Leute hier.", "utf-8"),
                  ("Привет, как дела? Это проверка кодировки текста на русском языке.", "koi8-r"),
                  ("plain ascii text only", "ascii")]:
    r = chardet.detect(text.encode(enc))
    print(enc, "->", r["encoding"], r["confidence"] > 0.5)
d = chardet.UniversalDetector()
for line in ["日本語のテキストです。".encode("euc-jp")] * 5:
    d.feed(line)
d.close()
print(d.result["encoding"])
