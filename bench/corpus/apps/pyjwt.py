"""PyJWT: HS256 and EdDSA tokens encoded and decoded, claims checked."""
# dists: pyjwt
import jwt
from cryptography.hazmat.primitives.asymmetric import ed25519

tok = jwt.encode({"sub": "ann", "aud": "corpus", "exp": 4102444800}, "secret", algorithm="HS256")
print(tok)
print(jwt.decode(tok, "secret", algorithms=["HS256"], audience="corpus"))
try:
    jwt.decode(tok, "wrong", algorithms=["HS256"], audience="corpus")
except jwt.InvalidSignatureError as e:
    print("InvalidSignatureError:", e)
sk = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(32))
t2 = jwt.encode({"x": 1}, sk, algorithm="EdDSA")
print(t2, jwt.decode(t2, sk.public_key(), algorithms=["EdDSA"]))
print(jwt.get_unverified_header(t2))
