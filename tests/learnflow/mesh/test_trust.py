"""The run dir's CA and Sentry tokens (learnflow.mesh.trust)."""

from __future__ import annotations

import stat
from pathlib import Path

import jwt
from cryptography import x509

from learnflow.mesh.trust import SENTRY_ID, ensure_trust, spiffe_id


def test_material_is_private_verifiable_and_reused(tmp_path: Path) -> None:
    trust = ensure_trust(tmp_path, ["triage", "dapr-placement"])
    for path in [trust.issuer_dir / "issuer.key", trust.signing_key, trust.token_file("triage")]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    root = x509.load_pem_x509_certificate(trust.ca_cert.read_bytes())
    issuer = x509.load_pem_x509_certificate((trust.issuer_dir / "issuer.crt").read_bytes())
    issuer.verify_directly_issued_by(root)
    assert issuer.extensions.get_extension_for_class(x509.BasicConstraints).value.ca

    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()}
    again = ensure_trust(tmp_path, ["triage", "dapr-placement"])
    assert again == trust
    assert {p: p.stat().st_mtime_ns for p in before} == before  # nothing rewritten


def test_tokens_name_their_identity_for_this_sentry(tmp_path: Path) -> None:
    import json

    trust = ensure_trust(tmp_path, ["triage", "dapr-scheduler"])
    keys = jwt.PyJWKSet.from_json(trust.jwks.read_text())
    for identity in ("triage", "dapr-scheduler"):
        token = trust.token_file(identity).read_text()
        claims = jwt.decode(token, keys.keys[0].key, algorithms=["ES256"], audience=SENTRY_ID)
        assert claims["sub"] == spiffe_id(identity)
    assert spiffe_id("triage") == "spiffe://public/ns/default/triage"
    assert spiffe_id("dapr-scheduler") == "spiffe://localhost/ns/default/dapr-scheduler"
    assert json.dumps(str(trust.jwks)) in trust.sentry_config.read_text()


def test_two_run_dirs_do_not_trust_each_other(tmp_path: Path) -> None:
    one = ensure_trust(tmp_path / "a", ["triage"])
    two = ensure_trust(tmp_path / "b", ["triage"])
    assert one.ca_cert.read_bytes() != two.ca_cert.read_bytes()
