"""A plain gRPC client for daprd's sidecar-to-sidecar API (`dapr.proto.internals.v1`), as an
attacker on the host would write it: `ServiceInvocation/CallLocal` asks a sidecar to deliver a
request to its app (daprd adds the app token itself).

The Python SDK ships only the public protos, so the few internal messages are described here
(field numbers from dapr/proto/internals/v1/service_invocation.proto).
"""

from __future__ import annotations

import json
import ssl
from pathlib import Path
from typing import Any

import grpc
import httpx
from dapr.proto.common.v1 import common_pb2
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

CALL_LOCAL = "/dapr.proto.internals.v1.ServiceInvocation/CallLocal"
_T = descriptor_pb2.FieldDescriptorProto


def _field(name: str, number: int, kind: int, type_name: str = "", repeated: bool = False) -> Any:
    label = _T.LABEL_REPEATED if repeated else _T.LABEL_OPTIONAL
    field = _T(name=name, number=number, type=kind, label=label)
    if type_name:  # an empty type_name still counts as set
        field.type_name = type_name
    return field


def _messages() -> dict[str, Any]:
    pool = descriptor_pool.Default()
    name = "learnflow_tests/dapr_internals.proto"
    try:
        pool.FindFileByName(name)
    except KeyError:
        proto = descriptor_pb2.FileDescriptorProto(
            name=name,
            package="dapr.proto.internals.v1",
            syntax="proto3",
            dependency=[common_pb2.DESCRIPTOR.name],
        )
        lsv = proto.message_type.add(name="ListStringValue")
        lsv.field.append(_field("values", 1, _T.TYPE_STRING, repeated=True))
        status = proto.message_type.add(name="Status")
        status.field.append(_field("code", 1, _T.TYPE_INT32))
        status.field.append(_field("message", 2, _T.TYPE_STRING))
        for message, map_fields in (
            ("InternalInvokeRequest", (("metadata", 2),)),
            ("InternalInvokeResponse", (("headers", 2), ("trailers", 3))),
        ):
            msg = proto.message_type.add(name=message)
            for field_name, number in map_fields:
                entry = msg.nested_type.add(name=f"{field_name.capitalize()}Entry")
                entry.options.map_entry = True
                entry.field.append(_field("key", 1, _T.TYPE_STRING))
                entry.field.append(
                    _field("value", 2, _T.TYPE_MESSAGE, ".dapr.proto.internals.v1.ListStringValue")
                )
                msg.field.append(
                    _field(
                        field_name,
                        number,
                        _T.TYPE_MESSAGE,
                        f".dapr.proto.internals.v1.{message}.{entry.name}",
                        repeated=True,
                    )
                )
            if message == "InternalInvokeRequest":
                msg.field.append(_field("ver", 1, _T.TYPE_INT32))  # enum APIVersion: V1 = 1
                msg.field.append(
                    _field("message", 3, _T.TYPE_MESSAGE, ".dapr.proto.common.v1.InvokeRequest")
                )
            else:
                msg.field.append(
                    _field("status", 1, _T.TYPE_MESSAGE, ".dapr.proto.internals.v1.Status")
                )
                msg.field.append(
                    _field("message", 4, _T.TYPE_MESSAGE, ".dapr.proto.common.v1.InvokeResponse")
                )
        pool.Add(proto)
    return {
        n: message_factory.GetMessageClass(
            pool.FindMessageTypeByName(f"dapr.proto.internals.v1.{n}")
        )
        for n in ("InternalInvokeRequest", "InternalInvokeResponse")
    }


def call_local_request(method: str, body: Any | None = None, *, verb: str = "GET") -> bytes:
    """An `InternalInvokeRequest` for `method` on the sidecar's app, as bytes."""
    request_cls = _messages()["InternalInvokeRequest"]
    request = request_cls(ver=1)
    request.message.method = method
    request.message.http_extension.verb = common_pb2.HTTPExtension.Verb.Value(verb)
    if body is not None:
        request.message.content_type = "application/json"
        request.message.data.value = json.dumps(body).encode()
    request.metadata["dapr-caller-app-id"].values.append("triage")
    return bytes(request.SerializeToString())


def call_local(
    channel: grpc.Channel, method: str, body: Any | None = None, *, verb: str = "GET"
) -> tuple[int, bytes]:
    """Invoke `method` through the sidecar behind `channel`: (HTTP status, response body)."""
    response_cls = _messages()["InternalInvokeResponse"]
    stub = channel.unary_unary(
        CALL_LOCAL,
        request_serializer=lambda raw: raw,
        response_deserializer=response_cls.FromString,
    )
    reply = stub(call_local_request(method, body, verb=verb), timeout=10)
    return int(reply.status.code), bytes(reply.message.data.value)


# --- Sentry (dapr.proto.sentry.v1.CA) ---------------------------------------------------------
SIGN_CERTIFICATE = "/dapr.proto.sentry.v1.CA/SignCertificate"
JWKS_VALIDATOR = 3


def _sign_request_class() -> Any:
    pool = descriptor_pool.Default()
    name = "learnflow_tests/dapr_sentry.proto"
    try:
        pool.FindFileByName(name)
    except KeyError:
        proto = descriptor_pb2.FileDescriptorProto(
            name=name, package="dapr.proto.sentry.v1", syntax="proto3"
        )
        msg = proto.message_type.add(name="SignCertificateRequest")
        for field_name, number, kind in (
            ("id", 1, _T.TYPE_STRING),
            ("token", 2, _T.TYPE_STRING),
            ("trust_domain", 3, _T.TYPE_STRING),
            ("namespace", 4, _T.TYPE_STRING),
            ("certificate_signing_request", 5, _T.TYPE_BYTES),
            ("token_validator", 6, _T.TYPE_INT32),
        ):
            msg.field.append(_field(field_name, number, kind))
        pool.Add(proto)
    return message_factory.GetMessageClass(
        pool.FindMessageTypeByName("dapr.proto.sentry.v1.SignCertificateRequest")
    )


def sign_certificate(sentry: str, ca_pem: Path, *, app_id: str, csr_pem: bytes, token: str) -> Any:
    """Ask Sentry (`host:port`) for a workload certificate for `app_id`: (gRPC status code,
    message, response bytes). Spoken over plain HTTP/2 (httpx + h2): Sentry's own certificate
    names it by a SPIFFE id only, which grpcio's hostname check cannot take."""
    request = _sign_request_class()(
        id=app_id,
        token=token,
        namespace="default",
        certificate_signing_request=csr_pem,
        token_validator=JWKS_VALIDATOR if token else 0,
    ).SerializeToString()
    context = ssl.create_default_context(cafile=str(ca_pem))  # Sentry must be the mesh's own
    context.check_hostname = False
    with httpx.Client(http2=True, verify=context, timeout=10) as client:
        answer = client.post(
            f"https://{sentry}{SIGN_CERTIFICATE}",
            content=b"\x00" + len(request).to_bytes(4, "big") + request,
            headers={"content-type": "application/grpc", "te": "trailers"},
        )
    # an error comes "trailers-only": its grpc-status is among the response headers
    status = int(answer.headers.get("grpc-status", "0"))
    return status, answer.headers.get("grpc-message", ""), answer.content[5:]
