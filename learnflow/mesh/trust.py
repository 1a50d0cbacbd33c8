"""The mesh's mTLS trust material, generated once per run dir (`<run_dir>/trust/`).

- `issuer/`: `ca.crt` (the trust anchor, a self-signed root), `issuer.crt` + `issuer.key` (the
  intermediate CA Dapr Sentry signs workload certificates with; Sentry's
  `--issuer-credentials`). Every sidecar, placement and the scheduler trust only this root, so
  two stacks on one machine never trust each other.
- `validator-jwks.json` + one token per identity in `tokens/`: Sentry's JWKS validator signs a
  workload certificate for app X only to a caller that presents X's token (a JWT signed with a
  key that never leaves the run dir). Without it (Sentry's default "insecure" validator in
  self-hosted mode) any local process could ask Sentry for a certificate saying "I am triage".

Every private file is 0600. Material is regenerated when the root has less than 30 days left.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from learnflow.mesh.policy import APP_TRUST_DOMAIN, NAMESPACE

CONTROL_PLANE_TRUST_DOMAIN = "localhost"  # daprd/placement/scheduler/sentry default
SENTRY_ID = f"spiffe://{CONTROL_PLANE_TRUST_DOMAIN}/ns/{NAMESPACE}/dapr-sentry"
CONTROL_PLANE_IDS = ("dapr-placement", "dapr-scheduler")
LIFETIME = dt.timedelta(days=365)
RENEW_BEFORE = dt.timedelta(days=30)
TOKEN_KEY_ID = "learnflow-sentry-tokens"


def spiffe_id(identity: str) -> str:
    domain = CONTROL_PLANE_TRUST_DOMAIN if identity in CONTROL_PLANE_IDS else APP_TRUST_DOMAIN
    return f"spiffe://{domain}/ns/{NAMESPACE}/{identity}"


@dataclass(frozen=True)
class Trust:
    folder: Path

    @property
    def issuer_dir(self) -> Path:
        return self.folder / "issuer"

    @property
    def ca_cert(self) -> Path:
        return self.issuer_dir / "ca.crt"

    @property
    def jwks(self) -> Path:
        return self.folder / "validator-jwks.json"

    @property
    def sentry_config(self) -> Path:
        return self.folder / "sentry.yaml"

    @property
    def signing_key(self) -> Path:
        return self.folder / "token-signing.key"

    def token_file(self, identity: str) -> Path:
        return self.folder / "tokens" / f"{identity}.jwt"

    def trust_anchors(self) -> str:
        return self.ca_cert.read_text()


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    tmp.replace(path)


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _ca_cert(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Certificate | None,
    issuer_key: ec.EllipticCurvePrivateKey,
    now: dt.datetime,
    *,
    path_length: int | None,
) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + LIFETIME)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
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
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    return builder.sign(issuer_key, hashes.SHA256())


def _still_valid(ca_cert: Path, now: dt.datetime) -> bool:
    try:
        cert = x509.load_pem_x509_certificate(ca_cert.read_bytes())
    except (OSError, ValueError):
        return False
    return cert.not_valid_after_utc - now > RENEW_BEFORE


def _sentry_config(jwks: str, namespace_note: str) -> str:
    return (
        f"# Dapr Sentry's configuration for this stack ({namespace_note}).\n"
        "apiVersion: dapr.io/v1alpha1\n"
        "kind: Configuration\n"
        "metadata:\n"
        "  name: daprsystem\n"
        "spec:\n"
        "  mtls:\n"
        "    enabled: true\n"
        '    workloadCertTTL: "24h"\n'
        '    allowedClockSkew: "15m"\n'
        "    tokenValidators:\n"
        "      - name: jwks\n"
        "        options:\n"
        f"          source: {json.dumps(jwks)}\n"
    )


def ensure_trust(
    run_dir: Path, identities: Iterable[str], *, folder: Path | None = None, jwks_seen_at: str = ""
) -> Trust:
    """Create the run dir's CA, Sentry's validator config and a Sentry token per identity; a
    second call writes nothing (Sentry restarts its CA when a file in its folder changes).
    `folder` (default `<run_dir>/trust`) and `jwks_seen_at` (the JWKS's path as Sentry sees it,
    e.g. inside a container; default: where it is written) serve the Compose variant."""
    trust = Trust(folder or run_dir / "trust")
    now = dt.datetime.now(dt.UTC)
    signing_key_path = trust.signing_key
    renew = not (_still_valid(trust.ca_cert, now) and signing_key_path.is_file())
    if renew:
        root_key, issuer_key = _key(), _key()
        root = _ca_cert("LearnFlow mesh root", root_key, None, root_key, now, path_length=1)
        issuer = _ca_cert("LearnFlow mesh issuer", issuer_key, root, root_key, now, path_length=0)
        _write_private(trust.issuer_dir / "issuer.key", _pem_key(issuer_key))
        _write_private(
            trust.issuer_dir / "issuer.crt", issuer.public_bytes(serialization.Encoding.PEM)
        )
        _write_private(signing_key_path, _pem_key(_key()))
        _write_private(trust.ca_cert, root.public_bytes(serialization.Encoding.PEM))
    signing_key = serialization.load_pem_private_key(signing_key_path.read_bytes(), None)
    assert isinstance(signing_key, ec.EllipticCurvePrivateKey)
    if renew or not trust.jwks.is_file():
        public_jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(signing_key.public_key()))
        public_jwk.update({"kid": TOKEN_KEY_ID, "alg": "ES256", "use": "sig"})
        _write_private(trust.jwks, json.dumps({"keys": [public_jwk]}).encode())
        _write_private(
            trust.sentry_config,
            _sentry_config(jwks_seen_at or str(trust.jwks), str(run_dir)).encode(),
        )
    ca_expires = x509.load_pem_x509_certificate(trust.ca_cert.read_bytes()).not_valid_after_utc
    for identity in identities:
        if renew or not trust.token_file(identity).is_file():
            _write_private(
                trust.token_file(identity), sentry_token(signing_key, identity, now, ca_expires)
            )
    return trust


def sentry_token(
    key: ec.EllipticCurvePrivateKey, identity: str, now: dt.datetime, expires: dt.datetime
) -> bytes:
    """The JWT Sentry's JWKS validator wants: `sub` = the requester's SPIFFE id, `aud` = Sentry's
    own."""
    claims = {
        "sub": spiffe_id(identity),
        "aud": SENTRY_ID,
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
    }
    return jwt.encode(claims, key, algorithm="ES256", headers={"kid": TOKEN_KEY_ID}).encode()
