"""How a request fails: one exception type with a short, stable `kind`, and the agent's
error-status answers by name (the walker degrades on some of them)."""

from __future__ import annotations

_ERROR_STATUS = {
    1: "tooBig",
    2: "noSuchName",
    3: "badValue",
    4: "readOnly",
    5: "genErr",
    6: "noAccess",
    7: "wrongType",
    8: "wrongLength",
    9: "wrongEncoding",
    10: "wrongValue",
    11: "noCreation",
    12: "inconsistentValue",
    13: "resourceUnavailable",
    14: "commitFailed",
    15: "undoFailed",
    16: "authorizationError",
    17: "notWritable",
    18: "inconsistentName",
}


class SnmpError(Exception):
    """A request failed; `kind` is short and stable (timeout, auth, agent-error, malformed…)."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


class AgentError(SnmpError):
    """The agent answered with an error-status: `index` is 1-based into the request."""

    def __init__(self, status: int, index: int) -> None:
        self.status, self.index = status, index
        self.name = _ERROR_STATUS.get(status, str(status))
        super().__init__("agent-error", f"{self.name} at varbind {index}")


class TooBig(AgentError):
    def __init__(self) -> None:
        super().__init__(1, 0)


def raise_for_status(status: int, index: int) -> None:
    """authorizationError (a v3 user asked at a security level its access does not allow)
    is a credentials problem, reported as auth like a wrong key."""
    if status == 1:
        raise TooBig()
    if status == 16:
        raise SnmpError(
            "auth", "authorizationError (security level or user not allowed to read this)"
        )
    if status:
        raise AgentError(status, index)
