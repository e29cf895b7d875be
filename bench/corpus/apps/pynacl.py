"""PyNaCl: Ed25519 signatures, secret-key boxes with a fixed nonce, public-key boxes, hashing."""
# dists: pynacl
import nacl.encoding
import nacl.hash
import nacl.public
import nacl.secret
import nacl.signing

sk = nacl.signing.SigningKey(bytes(range(32)))
signed = sk.sign(b"message")
print(signed.signature.hex()[:32], sk.verify_key.verify(signed))
box = nacl.secret.SecretBox(b"k" * 32)
ct = box.encrypt(b"secret", nonce=b"n" * 24)
print(ct.ciphertext.hex(), box.decrypt(ct))
a, b = nacl.public.PrivateKey(b"a" * 32), nacl.public.PrivateKey(b"b" * 32)
pb = nacl.public.Box(a, b.public_key)
print(nacl.public.Box(b, a.public_key).decrypt(pb.encrypt(b"hi", nonce=b"x" * 24)))
print(nacl.hash.blake2b(b"data", encoder=nacl.encoding.HexEncoder)[:32])
