"""The sidecars trust no one they cannot authenticate (issue 11, critical finding).

The probe: a plain gRPC client on the host called `ServiceInvocation/CallLocal` on a daprd's
internal port; daprd added the app token itself and delivered the request, so anyone reached
every internal route (another student's progress, quiz attempts that raised mastery, code runs).
These tests replay it, and its variants, against the shared test stack (mTLS on, certificates from
the stack's own Sentry, access control per app).
"""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import uuid
from pathlib import Path

import grpc
import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from learnflow.mesh.processes import group_members
from learnflow.mesh.trust import spiffe_id
from tests.integration.harness import Mesh
from tests.security.dapr_internal import call_local, sign_certificate

pytestmark = pytest.mark.integration

MAYA = "maya@learnflow.dev"


def _user_id(mesh: Mesh, email: str) -> str:
    return str(mesh.sql("SELECT id FROM users WHERE email = %s", email)[0][0])


def _internal(mesh: Mesh, app_id: str) -> str:
    return f"127.0.0.1:{mesh.topo.app(app_id).dapr_internal_grpc_port}"


# --- the probe's attack -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("app_id", "method", "verb", "body"),
    [
        ("debrief", "students/{maya}/progress", "GET", None),
        ("debrief", "alerts", "GET", None),
        (
            "debrief",
            "quizzes/attempts",
            "POST",
            {
                "attempt_id": "forged-{nonce}",
                "user_id": "{maya}",
                "topic": "control-flow",
                "quiz_id": "control-flow.quiz",
                "score": 5,
                "total": 5,
            },
        ),
        ("code-runner", "run", "POST", {"code": "print('pwned')", "user_id": "{maya}"}),
    ],
)
def test_a_plain_grpc_client_reaches_no_internal_route(
    mesh: Mesh, app_id: str, method: str, verb: str, body: dict[str, object] | None
) -> None:
    maya, nonce = _user_id(mesh, MAYA), uuid.uuid4().hex
    method = method.format(maya=maya)
    if body is not None:
        body = {
            k: v.format(maya=maya, nonce=nonce) if isinstance(v, str) else v
            for k, v in body.items()
        }
    quiz_rows = mesh.sql("SELECT count(*) FROM quiz_attempts WHERE student_id = %s", maya)

    with (
        grpc.insecure_channel(_internal(mesh, app_id)) as channel,
        pytest.raises(grpc.RpcError) as refused,
    ):
        call_local(channel, method, body, verb=verb)

    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE  # no TLS handshake, no call
    assert mesh.sql("SELECT count(*) FROM quiz_attempts WHERE student_id = %s", maya) == quiz_rows


# --- a TLS client is let in only with a certificate from this stack's Sentry --------------------
def _self_signed(identity: str) -> tuple[bytes, bytes]:
    """A certificate claiming to be `identity`, signed by nobody the mesh trusts."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, identity)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.UniformResourceIdentifier(spiffe_id(identity))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def _tls_handshake_then_read(port: int, cert: tuple[bytes, bytes] | None, tmp: Path) -> bytes:
    """Connect with TLS 1.3 (not verifying the server), present `cert`, send an HTTP/2 preface
    and read: the server's verdict on a client certificate arrives after the handshake. Raises
    `ssl.SSLError` if the server speaks no TLS at all; returns b"" when it refused us."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.set_alpn_protocols(["h2"])
    if cert is not None:
        (tmp / "c.pem").write_bytes(cert[0])
        (tmp / "k.pem").write_bytes(cert[1])
        context.load_cert_chain(tmp / "c.pem", tmp / "k.pem")
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw) as tls,  # the handshake: fails unless the server has TLS
    ):
        try:
            tls.sendall(
                b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"
            )
            return tls.recv(64)
        except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
            return b""


@pytest.mark.parametrize("present", ["no certificate", "a self-signed 'triage' certificate"])
def test_a_tls_client_without_a_mesh_certificate_is_refused(
    mesh: Mesh, present: str, tmp_path: Path
) -> None:
    cert = None if present == "no certificate" else _self_signed("triage")
    port = mesh.topo.app("debrief").dapr_internal_grpc_port
    answer = _tls_handshake_then_read(port, cert, tmp_path)
    # a server that let us in would have sent its HTTP/2 SETTINGS frame (type 4)
    assert not (len(answer) >= 9 and answer[3] == 0x04), answer


# --- Sentry signs an identity only for whoever holds that identity's token ----------------------
def _csr(identity: str) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    request = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, identity)]))
        .sign(key, hashes.SHA256())
    )
    return request.public_bytes(serialization.Encoding.PEM)


def _sign(mesh: Mesh, app_id: str, token_of: str | None) -> tuple[int, str, bytes]:
    trust = mesh.stack.trust()
    token = "" if token_of is None else trust.token_file(token_of).read_text()
    return sign_certificate(
        f"127.0.0.1:{mesh.topo.sentry_port}",
        trust.ca_cert,
        app_id=app_id,
        csr_pem=_csr(app_id),
        token=token,
    )


@pytest.mark.parametrize("token_of", [None, "code-runner"])
def test_sentry_signs_no_identity_without_its_token(mesh: Mesh, token_of: str | None) -> None:
    """Without this, any local process could ask Sentry for a certificate saying "triage"."""
    status, message, body = _sign(mesh, "triage", token_of)
    assert status in (3, 7), (status, message)  # INVALID_ARGUMENT / PERMISSION_DENIED
    assert b"BEGIN CERTIFICATE" not in body


def test_sentry_signs_an_identity_for_its_token(mesh: Mesh) -> None:
    """The control for the test above: the same request with the right token is signed."""
    status, message, body = _sign(mesh, "code-runner", "code-runner")
    assert status == 0, message
    assert b"BEGIN CERTIFICATE" in body


# --- access control: each app accepts only the callers it needs ---------------------------------
@pytest.mark.parametrize(
    ("caller", "target", "method"),
    [
        ("frontend", "tutor", "grade"),  # the web app's sidecar talks to triage only
        ("frontend", "debrief", "alerts"),
        ("code-runner", "debrief", "alerts"),
        ("concepts", "code-runner", "run"),
        ("debrief", "triage", "auth/me"),
        ("triage", "debrief", "events/exercise-graded"),  # subscriber routes: never by invoke
        ("tutor", "debrief", "events/code-executed"),
    ],
)
async def test_a_sidecar_may_invoke_only_what_its_app_needs(
    mesh: Mesh, http: httpx.AsyncClient, caller: str, target: str, method: str
) -> None:
    answer = await http.post(
        mesh.invoke_url(caller, target, method), json={}, headers=mesh.dapr_headers_for(caller)
    )
    assert answer.status_code == 403, answer.text
    assert "access control policy has denied access" in answer.text


AS_MAYA = {"x-learnflow-role": "student"}  # what triage forwards for a verified caller


async def test_allowed_callers_still_get_through(mesh: Mesh, http: httpx.AsyncClient) -> None:
    maya = _user_id(mesh, MAYA)
    answer = await http.get(
        mesh.invoke_url("triage", "debrief", f"students/{maya}/progress"),
        headers=mesh.dapr_headers | AS_MAYA | {"x-learnflow-user": maya},
    )
    assert answer.status_code == 200, answer.text


# --- nothing of the stack listens beyond loopback (internal gRPC, metrics, raft, etcd, ...) -----
def _listening(path: str) -> dict[int, tuple[str, int]]:
    """inode -> (local address, port) of LISTEN sockets in /proc/net/tcp or tcp6."""
    found = {}
    for line in Path(path).read_text().splitlines()[1:]:
        fields = line.split()
        local, state, inode = fields[1], fields[3], int(fields[9])
        if state != "0A":
            continue
        address_hex, port_hex = local.split(":")
        raw = bytes.fromhex(address_hex)
        if len(raw) == 4:
            address = socket.inet_ntop(socket.AF_INET, raw[::-1])
        else:  # /proc prints IPv6 as four little-endian 32-bit words
            words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
            address = socket.inet_ntop(socket.AF_INET6, words)
        found[inode] = (address, int(port_hex, 16))
    return found


LOOPBACK = ("127.0.0.1", "::1", "::ffff:127.0.0.1")  # the last: Java's IPv4 on an IPv6 socket


def _upstream_healthz_ports(mesh: Mesh) -> set[int]:
    """Dapr 1.18's healthz server (placement, scheduler, sentry) listens on ":<port>" whatever
    `--healthz-listen-address` says (pkg/healthz/server.Start). It answers only 200/503 on
    /healthz; binding it to loopback needs a patched dapr, left to the runtime upgrade."""
    t = mesh.topo
    return {t.placement_healthz_port, t.scheduler_healthz_port, t.sentry_healthz_port}


def test_every_listening_socket_of_the_stack_is_on_loopback(mesh: Mesh) -> None:
    sockets = _listening("/proc/net/tcp") | _listening("/proc/net/tcp6")
    owned: dict[str, set[tuple[str, int]]] = {}
    for record in mesh.stack.table.recorded():
        for pid in group_members(record.pid):
            try:
                links = [p.readlink().name for p in Path(f"/proc/{pid}/fd").iterdir()]
            except OSError:
                continue
            for link in links:
                if link.startswith("socket:["):
                    inode = int(link[8:-1])
                    if inode in sockets:
                        owned.setdefault(record.name, set()).add(sockets[inode])
    assert {"kafka", "sentry", "triage-dapr", "debrief-dapr", "postgres"} <= set(owned)
    healthz = _upstream_healthz_ports(mesh)
    exposed = {
        name: sorted(a for a in addresses if a[0] not in LOOPBACK and a[1] not in healthz)
        for name, addresses in owned.items()
    }
    assert not any(exposed.values()), exposed
    internal = mesh.topo.app("debrief").dapr_internal_grpc_port
    metrics = mesh.topo.app("debrief").dapr_metrics_port
    assert ("127.0.0.1", internal) in owned["debrief-dapr"]
    assert ("127.0.0.1", metrics) in owned["debrief-dapr"]


async def test_a_sidecar_serves_only_its_own_apps_token(
    mesh: Mesh, http: httpx.AsyncClient
) -> None:
    """The code runner's token (the app that handles hostile code) opens the code runner's
    sidecar only: not triage's, to invoke or publish as triage."""
    maya = _user_id(mesh, MAYA)
    as_triage = mesh.invoke_url("triage", "debrief", f"students/{maya}/progress")
    principal = AS_MAYA | {"x-learnflow-user": maya}
    stolen = await http.get(as_triage, headers=mesh.dapr_headers_for("code-runner") | principal)
    assert stolen.status_code == 401, stolen.text
    publish = await http.post(
        f"{mesh.sidecar_url('triage')}/v1.0/publish/pubsub/learning.routed",
        json={},
        headers=mesh.dapr_headers_for("code-runner"),
    )
    assert publish.status_code == 401, publish.text
    assert (await http.get(as_triage, headers=mesh.dapr_headers | principal)).status_code == 200
