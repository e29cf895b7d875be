"""itsdangerous: signed and serialised payloads, tampering detected."""
# dists: itsdangerous
from itsdangerous import BadSignature, Signer, URLSafeSerializer

s = URLSafeSerializer("secret", salt="corpus")
tok = s.dumps({"id": 5, "name": "ann"})
print(tok, s.loads(tok))
try:
    s.loads(tok[:-2] + "xx")
except BadSignature as e:
    print("BadSignature:", type(e).__name__)
print(Signer("k").sign("value"), Signer("k").unsign(Signer("k").sign("value")))
