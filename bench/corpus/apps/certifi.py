"""certifi: the CA bundle, read as a resource and loaded by path into an SSL context."""
# dists: certifi
import ssl

import certifi

pem = certifi.contents()
print("certificates in the bundle:", pem.count("BEGIN CERTIFICATE") > 100)
ctx = ssl.create_default_context(cafile=certifi.where())
print("loaded into ssl:", ctx.cert_store_stats()["x509_ca"] > 100)
