"""cryptography: AES-GCM, hashes, HKDF, Ed25519 signatures and a self-signed X.509 certificate."""
# dists: cryptography
import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.x509.oid import NameOID

key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"salt", info=b"corpus").derive(b"secret")
print("hkdf:", key.hex())
ct = AESGCM(key).encrypt(b"\x00" * 12, b"attack at dawn", b"aad")
print("aes-gcm:", ct.hex(), AESGCM(key).decrypt(b"\x00" * 12, ct, b"aad"))
h = hashes.Hash(hashes.SHA3_256())
h.update(b"abc")
print("sha3:", h.finalize().hex())
sk = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
sig = sk.sign(b"message")
sk.public_key().verify(sig, b"message")
print("ed25519:", sig.hex()[:32])
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "corpus.test")])
when = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(sk.public_key()).serial_number(1234).not_valid_before(when)
        .not_valid_after(when + datetime.timedelta(days=365)).sign(sk, None))
pem = cert.public_bytes(serialization.Encoding.PEM)
back = x509.load_pem_x509_certificate(pem)
print("cert:", back.subject.rfc4514_string(), back.fingerprint(hashes.SHA256()).hex()[:24])
