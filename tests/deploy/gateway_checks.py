"""gateway/kong.yaml: routes to a real app (through its sidecar), and the plugins every route needs.

Also compares it with the Kubernetes variant (k8s/gateway/: KongPlugins on Ingresses), so the
two gateways cannot drift apart.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from tests.deploy.deploy_common import DAPR_HTTP_PORT, App, Doc, schema_errors

LOGIN_PATH = "/api/auth/login"
INVOKE_PATH = re.compile(r"^/v1\.0/invoke/(?P<app>[a-z0-9-]+)/method(?P<rest>/.*)?$")
FRONTEND_ORIGIN = "http://localhost:3000"
MAX_BODY_MB = 1


def upstream_app(url: str, apps: dict[str, App]) -> tuple[App | None, str]:
    """The app a Kong service URL reaches, and how (`sidecar` or `direct`); None if none."""
    parts = urlsplit(url)
    app = apps.get(parts.hostname or "")
    if app is None:
        return None, f"host {parts.hostname!r} is not an app id"
    if parts.port == app.port:
        return app, "direct"
    if parts.port == DAPR_HTTP_PORT:
        match = INVOKE_PATH.match(parts.path)
        if match is None or match["app"] not in apps:
            return None, f"{parts.path!r} is not the invoke API of a known app"
        return apps[match["app"]], "sidecar"
    return None, f"port {parts.port} is neither {app.app_id}'s app port nor daprd's HTTP port"


def _plugins_for_route(
    config: dict[str, Any], service: dict[str, Any], route: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """Effective plugins of a route: route level over service level over global."""
    effective: dict[str, dict[str, Any]] = {}
    for scope in (config.get("plugins", []), service.get("plugins", []), route.get("plugins", [])):
        for plugin in scope:
            if plugin.get("enabled", True):
                effective[plugin["name"]] = plugin.get("config", {})
    return effective


def routes(config: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [(s, r) for s in config.get("services", []) for r in s.get("routes", [])]


def check_kong(config: dict[str, Any], apps: dict[str, App]) -> list[str]:
    problems = [f"schema: {e}" for e in schema_errors(config, "kong-declarative.json")]
    if problems:
        return problems
    for service in config["services"]:
        app, how = upstream_app(service["url"], apps)
        if app is None:
            problems.append(f"service {service['name']}: {how}")
    for service, route in routes(config):
        where = f"route {route['name']}"
        plugins = _plugins_for_route(config, service, route)
        if not all(p.startswith("/api/") or p == "/api" for p in route["paths"]):
            problems.append(f"{where}: every path must be under /api/")
        if "rate-limiting" not in plugins:
            problems.append(f"{where}: no rate-limiting")
        size = plugins.get("request-size-limiting")
        if size is None or (
            size.get("allowed_payload_size"),
            size.get("size_unit", "megabytes"),
        ) != (
            MAX_BODY_MB,
            "megabytes",
        ):
            problems.append(f"{where}: request-size-limiting must be {MAX_BODY_MB} megabytes")
        if "cors" not in plugins:
            problems.append(f"{where}: no cors")
        is_login = route["paths"] == [LOGIN_PATH]
        if is_login and "jwt" in plugins:
            problems.append(f"{where}: the login route cannot require a JWT")
        if not is_login and "jwt" not in plugins and "key-auth" not in plugins:
            problems.append(f"{where}: needs jwt (or key-auth): only login is anonymous")
        if "jwt" in plugins and plugins["jwt"].get("run_on_preflight", True):
            problems.append(f"{where}: jwt must let CORS preflight through (run_on_preflight)")
    cors = [p["config"] for p in config.get("plugins", []) if p["name"] == "cors"]
    if not cors or FRONTEND_ORIGIN not in cors[0].get("origins", []):
        problems.append(f"global cors must allow the frontend origin {FRONTEND_ORIGIN}")
    if not any(r["paths"] == [LOGIN_PATH] for _, r in routes(config)):
        problems.append(f"no route for {LOGIN_PATH}")
    for consumer in config.get("consumers", []):
        for cred in consumer.get("jwt_secrets", []):
            if "secret" in cred and not re.fullmatch(r"\$\{[A-Z0-9_]+\}", cred["secret"]):
                problems.append(
                    f"consumer {consumer['username']}: jwt secret must be a placeholder"
                )
    return problems


def k8s_route_plugins(docs: list[Doc]) -> dict[str, dict[str, dict[str, Any]]]:
    """Ingress path -> {plugin name: config} from the Kong ingress annotations."""
    plugins = {d["metadata"]["name"]: d for d in docs if d.get("kind") == "KongPlugin"}
    result: dict[str, dict[str, dict[str, Any]]] = {}
    for ing in (d for d in docs if d.get("kind") == "Ingress"):
        names = ing["metadata"].get("annotations", {}).get("konghq.com/plugins", "")
        effective = {
            plugins[n]["plugin"]: plugins[n].get("config", {})
            for n in (x.strip() for x in names.split(","))
            if n in plugins
        }
        for rule in ing["spec"].get("rules", []):
            for path in rule.get("http", {}).get("paths", []):
                result[path["path"]] = effective
    return result


def check_parity(config: dict[str, Any], docs: list[Doc]) -> list[str]:
    """Same routes and plugin settings in Kong (compose) and on Kubernetes; only CORS origins
    may differ (each names its own frontend)."""
    problems: list[str] = []
    k8s = k8s_route_plugins(docs)
    for service, route in routes(config):
        expected = _plugins_for_route(config, service, route)
        for path in route["paths"]:
            actual = k8s.get(path)
            if actual is None:
                problems.append(f"{path}: no Kong Ingress path on Kubernetes")
                continue
            for name in sorted(set(expected) | set(actual)):
                a = {k: v for k, v in expected.get(name, {}).items() if k != "origins"}
                b = {k: v for k, v in actual.get(name, {}).items() if k != "origins"}
                if name not in expected or name not in actual or a != b:
                    problems.append(f"{path}: plugin {name} differs between kong.yaml and k8s")
    return problems
