"""Which address a login comes from (learnflow.auth.throttle.client_address)."""

from __future__ import annotations

from starlette.requests import Request

from learnflow.auth.throttle import client_address
from learnflow.settings import Settings


def _request(peer: str, **headers: str) -> Request:
    return Request(
        {
            "type": "http",
            "method": "POST",
            "path": "/auth/login",
            "headers": [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()],
            "client": (peer, 1234),
        }
    )


def test_the_peer_is_the_client_and_a_forged_forwarded_for_is_ignored() -> None:
    settings = Settings(app_api_token="t")
    assert client_address(_request("203.0.113.9", x_forwarded_for="1.2.3.4"), settings) == (
        "203.0.113.9"
    )


def test_behind_a_trusted_proxy_its_forwarded_for_names_the_client() -> None:
    settings = Settings(trusted_proxies=["10.0.0.5"])
    request = _request("10.0.0.5", x_forwarded_for="6.6.6.6, 198.51.100.7")
    assert client_address(request, settings) == "198.51.100.7"  # the hop the proxy appended


def test_through_the_sidecar_only_the_vouched_address_counts() -> None:
    settings = Settings(app_api_token="t")
    via_sidecar = _request(
        "127.0.0.1", dapr_api_token="t", x_learnflow_client_address="198.51.100.8"
    )
    assert client_address(via_sidecar, settings) == "198.51.100.8"
    unknown = _request("127.0.0.1", dapr_api_token="t")
    assert client_address(unknown, settings) is None
    garbage = _request("127.0.0.1", dapr_api_token="t", x_learnflow_client_address="evil")
    assert client_address(garbage, settings) is None
    # without the app token the header is the caller's own claim: ignored
    forged = _request("127.0.0.1", x_learnflow_client_address="198.51.100.8")
    assert client_address(forged, settings) == "127.0.0.1"
