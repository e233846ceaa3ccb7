"""HTTPS: the real binary with a certificate made at test time (the `cryptography` package),
boto3 trusting the test CA through `verify=`, and the AWS CLI through AWS_CA_BUNDLE."""

import datetime as dt
import ipaddress
import json
import os
import uuid

import pytest

from conftest import Coffer, make_client, missing, need_boto3

need_boto3()
try:
    import cryptography  # noqa: F401  (pinned in requirements.txt)
except ImportError as err:  # pragma: no cover - depends on the environment
    missing(f"cryptography ({err})")
from botocore.exceptions import SSLError  # noqa: E402
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, rsa  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_pki(directory, key_kind):
    """A CA and a server certificate for 127.0.0.1, as ca.pem, cert.pem and key.pem (0600).

    `key_kind` picks the server key's PEM form: "ec-sec1" ("EC PRIVATE KEY") or "rsa-pkcs1"
    ("RSA PRIVATE KEY"); the Rust tests cover PKCS#8."""
    now = dt.datetime.now(dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("coffer python test CA"))
        .issuer_name(_name("coffer python test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    if key_kind == "ec-sec1":
        key = ec.generate_private_key(ec.SECP256R1())
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = (directory / n for n in ("ca.pem", "cert.pem", "key.pem"))
    ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    # TraditionalOpenSSL is SEC1 for EC keys and PKCS#1 for RSA keys.
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key_pem)
    return ca_path, cert_path, key_path, key_pem


@pytest.mark.parametrize("key_kind", ["ec-sec1", "rsa-pkcs1"])
def test_boto3_and_the_cli_over_https_trusting_the_test_ca(servers, tmp_path, key_kind):
    ca, cert, key, key_pem = make_pki(tmp_path, key_kind)
    server = servers.real(
        env={"COFFER_TLS_CERT_FILE": str(cert), "COFFER_TLS_KEY_FILE": str(key)}
    )
    assert server.endpoint == f"https://127.0.0.1:{server.port}"

    sm = make_client(server.endpoint, server.access_key, server.secret_key, verify=str(ca))
    name = f"tls-{uuid.uuid4().hex[:10]}"
    created = sm.create_secret(Name=name, SecretString="over TLS")
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "over TLS"
    assert sm.describe_secret(SecretId=created["ARN"])["Name"] == name

    # Without the CA, boto3 (certifi's roots) refuses the server.
    untrusting = make_client(server.endpoint, server.access_key, server.secret_key)
    with pytest.raises(SSLError):
        untrusting.get_secret_value(SecretId=name)

    # The AWS CLI, as the README tells users: --endpoint-url https://… with AWS_CA_BUNDLE.
    result = server.cli(
        "secretsmanager", "get-secret-value", "--secret-id", name, env={"AWS_CA_BUNDLE": str(ca)}
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["SecretString"] == "over TLS"

    # The key never reaches the server's output.
    body = key_pem.decode().splitlines()[1]
    assert server.stop() == 0
    assert body not in server.stdout() and body not in server.stderr()


def test_key_file_readable_by_others_refuses_to_start(servers, tmp_path):
    _, cert, key, _ = make_pki(tmp_path, "ec-sec1")
    os.chmod(key, 0o644)
    with pytest.raises(AssertionError, match="exited \\(status 1\\) before listening") as info:
        Coffer(
            ["serve", "--data-dir", str(tmp_path / "data"), "--listen", "127.0.0.1:0"],
            env={"COFFER_TLS_CERT_FILE": str(cert), "COFFER_TLS_KEY_FILE": str(key)},
            log_dir=tmp_path,
        )
    assert "is accessible by group or others (mode 644); run chmod 600 on it" in str(info.value)
