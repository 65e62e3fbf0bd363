"""RSA key pairs for the JWT bearer flow: a private key and the certificate to upload.

Salesforce verifies JWT assertions with the X.509 certificate uploaded to the connected app
(or External Client App). `connector auth keygen` and the demo make a fresh pair; nothing
here is ever written to the repository.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


def generate_key_pair(common_name: str = "connector", days: int = 730) -> tuple[str, bytes]:
    """A new 2048-bit RSA private key (PEM text) and a self-signed certificate (PEM bytes)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    return private_pem, certificate.public_bytes(serialization.Encoding.PEM)
