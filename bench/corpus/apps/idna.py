"""idna: IDNA 2008 encoding and decoding with UTS 46 mapping."""
# dists: idna
import idna

print(idna.encode("ドメイン.テスト"), idna.decode("xn--eckwd4c7c.xn--zckzah"))
print(idna.encode("Königsgäßchen.de", uts46=True))
try:
    idna.encode("a..b")
except idna.IDNAError as e:
    print("IDNAError:", e)
print(b"xn--nxasmq6b".decode("idna"))
