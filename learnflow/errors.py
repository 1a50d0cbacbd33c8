"""One error hierarchy for LearnFlow, mapped to HTTP in one place (`learnflow.api.problems`).

Every error a user can cause or meet carries a message that says what went wrong and what to do.
"""

from __future__ import annotations

from typing import Any


class LearnFlowError(Exception):
    """Base of every LearnFlow error."""

    status_code: int = 500
    code: str = "internal_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidInput(LearnFlowError):
    """The caller sent something we cannot use (400/422)."""

    status_code = 422
    code = "invalid_input"


class PayloadTooLarge(LearnFlowError):
    status_code = 413
    code = "payload_too_large"


class NotAuthenticated(LearnFlowError):
    status_code = 401
    code = "not_authenticated"


class NotAllowed(LearnFlowError):
    status_code = 403
    code = "forbidden"


class NotFound(LearnFlowError):
    status_code = 404
    code = "not_found"


class Conflict(LearnFlowError):
    status_code = 409
    code = "conflict"


class Busy(LearnFlowError):
    """A bounded queue is full; the caller should retry later (503 with Retry-After)."""

    status_code = 503
    code = "busy"

    def __init__(self, message: str, retry_after_s: int = 1, **details: Any) -> None:
        super().__init__(message, retry_after_s=retry_after_s, **details)
        self.retry_after_s = retry_after_s


class RateLimited(Busy):
    """The caller sent more of something than its share allows; retry after `retry_after_s`
    (429 with Retry-After)."""

    status_code = 429
    code = "rate_limited"


class DependencyFailed(LearnFlowError):
    """A dependency (sidecar, another app, the database, a model endpoint) failed (502)."""

    status_code = 502
    code = "dependency_failed"

    def __init__(self, message: str, dependency: str, **details: Any) -> None:
        super().__init__(message, dependency=dependency, **details)
        self.dependency = dependency


class Unavailable(DependencyFailed):
    """A part of the system is down for the moment (the database, a sidecar being restarted):
    nothing was changed, and the same request will work again soon (503 with Retry-After)."""

    status_code = 503
    code = "unavailable"

    def __init__(
        self, message: str, dependency: str, *, retry_after_s: int = 5, **details: Any
    ) -> None:
        super().__init__(message, dependency, retry_after_s=retry_after_s, **details)
        self.retry_after_s = retry_after_s


class FailedDependency(Unavailable):
    """Another app this app needs (the tutor's code runner) is unavailable. Between apps this is
    a 424, not a 5xx: the caller's circuit breaker for *this* app, which is healthy, stays
    closed, so one app's outage never spreads to the breakers of the apps that call it.
    `Sidecar.invoke` turns it back into `Unavailable`: the edge answers 503 + Retry-After."""

    status_code = 424
    code = "failed_dependency"


class ConfigurationError(LearnFlowError):
    """LearnFlow is configured in a way that cannot work; the message says what to set."""

    code = "configuration_error"


class SetupError(LearnFlowError):
    """A prerequisite for running the stack is missing (tool, port, disk): one line with the fix."""

    code = "setup_error"
