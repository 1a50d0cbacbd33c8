"""A real Kubernetes control plane on loopback: etcd + kube-apiserver, for checking `k8s/`.

There is no kubelet, scheduler or controller-manager, so nothing ever runs; what the API server
does — schema validation, defaulting, CRD structural schemas, admission (Pod Security among it),
server-side apply — is the real thing. etcd listens on Unix sockets only (no TCP port to clash
with another stack's); kube-apiserver listens on `127.0.0.1:<topology.kube_apiserver_port>` with
a self-signed serving certificate, and admits a static bearer token in `system:masters`.
"""

from __future__ import annotations

import secrets
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from learnflow.deploy.kube_toolchain import KubeBinaries
from learnflow.errors import SetupError
from learnflow.mesh.toolchain import Progress

SERVICE_CIDR = "10.96.0.0/16"
START_TIMEOUT_S = 120.0


@dataclass
class LocalApiServer:
    """A running etcd + kube-apiserver pair; use as a context manager (stops both on exit)."""

    url: str
    token: str
    ca_file: Path
    run_dir: Path
    started_s: float = 0.0
    _procs: list[subprocess.Popen[bytes]] = field(default_factory=list, repr=False)

    def stop(self) -> None:
        for proc in reversed(self._procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self._procs.clear()

    def __enter__(self) -> LocalApiServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def kubeconfig(self) -> dict[str, object]:
        """A kubeconfig (as a dict) that reaches this server as cluster admin."""
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "learnflow-local",
                    "cluster": {"server": self.url, "certificate-authority": str(self.ca_file)},
                }
            ],
            "users": [{"name": "admin", "user": {"token": self.token}}],
            "contexts": [
                {
                    "name": "learnflow-local",
                    "context": {"cluster": "learnflow-local", "user": "admin"},
                }
            ],
            "current-context": "learnflow-local",
        }


def _tail(path: Path, lines: int = 5) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _wait_ready(
    server: LocalApiServer, procs: dict[str, tuple[subprocess.Popen[bytes], Path]]
) -> None:
    request = urllib.request.Request(
        f"{server.url}/readyz", headers={"Authorization": f"Bearer {server.token}"}
    )
    deadline = time.monotonic() + START_TIMEOUT_S
    last = ""
    while time.monotonic() < deadline:
        for name, (proc, log) in procs.items():
            if proc.poll() is not None:
                raise SetupError(f"{name} exited with code {proc.returncode}: {_tail(log)}")
        if server.ca_file.is_file():
            try:
                context = ssl.create_default_context(cafile=str(server.ca_file))
                with urllib.request.urlopen(request, context=context, timeout=5) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError, ssl.SSLError) as exc:
                last = str(exc)
        time.sleep(0.25)
    raise SetupError(f"kube-apiserver was not ready after {START_TIMEOUT_S:.0f} s ({last})")


def start_local_apiserver(
    binaries: KubeBinaries, port: int, progress: Progress, run_dir: Path | None = None
) -> LocalApiServer:
    """Start etcd and kube-apiserver; returns once `/readyz` answers 200."""
    # Unix socket paths must stay under 108 bytes: a short private folder under the temp dir.
    run_dir = run_dir or Path(tempfile.mkdtemp(prefix="lf-k8s-"))
    run_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    # etcd's unix URLs are `unix://host:port`, naming a socket file `host:port` in the working
    # directory: both processes run in run_dir, so these are run_dir/localhost:2379 and :2380
    etcd_client = "unix://localhost:2379"
    etcd_peer = "unix://localhost:2380"
    etcd_log = run_dir / "etcd.log"
    etcd = subprocess.Popen(
        [
            str(binaries.etcd),
            "--name=learnflow",
            f"--data-dir={run_dir / 'etcd'}",
            f"--listen-client-urls={etcd_client}",
            f"--advertise-client-urls={etcd_client}",
            f"--listen-peer-urls={etcd_peer}",
            f"--initial-advertise-peer-urls={etcd_peer}",
            f"--initial-cluster=learnflow={etcd_peer}",
            "--listen-metrics-urls=",
            "--log-level=warn",
            "--quota-backend-bytes=268435456",
        ],
        stdout=etcd_log.open("wb"),
        stderr=subprocess.STDOUT,
        cwd=run_dir,
        start_new_session=True,
    )
    token = secrets.token_urlsafe(32)
    (run_dir / "tokens.csv").write_text(f'{token},admin,admin,"system:masters"\n')
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    sa_key = run_dir / "sa.key"
    sa_key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    sa_key.chmod(0o600)
    cert_dir = run_dir / "certs"
    api_log = run_dir / "kube-apiserver.log"
    apiserver = subprocess.Popen(
        [
            str(binaries.kube_apiserver),
            f"--etcd-servers={etcd_client}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            f"--secure-port={port}",
            f"--cert-dir={cert_dir}",
            f"--token-auth-file={run_dir / 'tokens.csv'}",
            "--authorization-mode=RBAC",
            f"--service-account-key-file={sa_key}",
            f"--service-account-signing-key-file={sa_key}",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            # the admission chain a cluster runs by default (PodSecurity included)
            "--enable-admission-plugins=NodeRestriction",
            "--profiling=false",
            "--v=0",
        ],
        stdout=api_log.open("wb"),
        stderr=subprocess.STDOUT,
        cwd=run_dir,
        start_new_session=True,
    )
    # kube-apiserver writes its self-signed serving certificate here; it is its own CA.
    server = LocalApiServer(
        url=f"https://127.0.0.1:{port}",
        token=token,
        ca_file=cert_dir / "apiserver.crt",
        run_dir=run_dir,
        _procs=[etcd, apiserver],
    )
    try:
        _wait_ready(server, {"etcd": (etcd, etcd_log), "kube-apiserver": (apiserver, api_log)})
    except BaseException:
        server.stop()
        raise
    server.started_s = round(time.monotonic() - started, 2)
    progress(
        f"kube-apiserver v{binaries.kubernetes_version} ready at {server.url} "
        f"in {server.started_s} s"
    )
    return server
