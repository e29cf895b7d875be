"""bcrypt: hashing with a fixed salt, checking, and key derivation."""
# dists: bcrypt
import bcrypt

salt = b"$2b$04$" + b"abcdefghijklmnopqrstuu"
h = bcrypt.hashpw(b"correct horse", salt)
print(h, bcrypt.checkpw(b"correct horse", h), bcrypt.checkpw(b"wrong", h))
print(bcrypt.kdf(b"pw", b"salt", desired_key_bytes=16, rounds=4).hex())
