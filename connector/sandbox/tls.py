"""Self-signed TLS material for the sandbox: a private CA and a server certificate it signs.

simple-salesforce builds every URL as ``https://...``, so the sandbox must speak TLS. Clients
trust the generated CA file (``requests`` ``verify=ca_path``); the server certificate names
``127.0.0.1``, ``localhost`` and ``::1``. Existing material in the directory is reused while it
is valid, so separate processes keep trusting the same CA across restarts.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

CA_FILE = "sandbox-ca.pem"
CERT_FILE = "sandbox-server.pem"
KEY_FILE = "sandbox-server-key.pem"
_VALIDITY = dt.timedelta(days=365)


@dataclass(frozen=True)
class TlsMaterial:
    """Paths of the CA certificate (for clients) and the server certificate and key."""

    ca_path: Path
    cert_path: Path
    key_path: Path


def ensure_tls_material(directory: Path) -> TlsMaterial:
    """Return usable TLS files in `directory`, generating a fresh CA and server cert if needed."""
    directory.mkdir(parents=True, exist_ok=True)
    material = TlsMaterial(directory / CA_FILE, directory / CERT_FILE, directory / KEY_FILE)
    if not _is_reusable(material):
        _generate(material)
    return material


def _is_reusable(material: TlsMaterial) -> bool:
    paths = (material.ca_path, material.cert_path, material.key_path)
    if not all(path.is_file() for path in paths):
        return False
    try:
        cert = x509.load_pem_x509_certificate(material.cert_path.read_bytes())
    except ValueError:
        return False
    remaining = cert.not_valid_after_utc - dt.datetime.now(dt.UTC)
    return remaining > dt.timedelta(days=1)


def _generate(material: TlsMaterial) -> None:
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_cert = _ca_certificate(ca_key)
    server_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    server_cert = _server_certificate(server_key, ca_key, ca_cert)
    material.ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    material.cert_path.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    material.key_path.write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    material.key_path.chmod(0o600)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "connector sandbox"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _ca_certificate(ca_key: rsa.RSAPrivateKey) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    public_key = ca_key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(_name("connector sandbox CA"))
        .issuer_name(_name("connector sandbox CA"))
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .sign(ca_key, hashes.SHA256())
    )


def _server_certificate(
    server_key: rsa.RSAPrivateKey, ca_key: rsa.RSAPrivateKey, ca_cert: x509.Certificate
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    names: list[x509.GeneralName] = [
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1")),
    ]
    return (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca_cert.subject)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
