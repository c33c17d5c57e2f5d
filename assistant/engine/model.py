"""The policy engine's values: policies, requests, findings and decisions, all immutable.

Wire shapes (the JSON of docs/interfaces.md) are built from these in ``assistant.wire``;
nothing here knows about JSON output, files or the network.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "Condition",
    "Decision",
    "Finding",
    "Policy",
    "PolicyKind",
    "PolicyType",
    "Principal",
    "Request",
    "Severity",
    "Statement",
]


class Severity(StrEnum):
    """The four severities of IAM Access Analyzer policy validation."""

    ERROR = "ERROR"
    SECURITY_WARNING = "SECURITY_WARNING"
    WARNING = "WARNING"
    SUGGESTION = "SUGGESTION"


class PolicyType(StrEnum):
    """What a policy document is, for validation."""

    IDENTITY = "identity"
    RESOURCE = "resource"
    TRUST = "trust"
    SCP = "scp"
    RCP = "rcp"
    SESSION = "session"


class PolicyKind(StrEnum):
    """Where a policy sits in a request's evaluation (the ``blocked_by`` names)."""

    IDENTITY = "identity"
    RESOURCE = "resource"
    BOUNDARY = "pb"
    SESSION = "session"
    SCP = "scp"
    RCP = "rcp"
    VPCE = "vpce"


class Decision(StrEnum):
    """The outcome of evaluating one request."""

    ALLOWED = "Allowed"
    EXPLICIT_DENY = "ExplicitlyDenied"
    IMPLICIT_DENY = "ImplicitlyDenied"


@dataclass(frozen=True)
class Finding:
    """One problem in a policy: stable code, severity, bilingual message, JSON path and position."""

    code: str
    severity: Severity
    message: str
    message_ja: str
    path: str = ""
    line: int | None = None
    column: int | None = None
    hint: str | None = None


@dataclass(frozen=True)
class Condition:
    """One key of one condition operator: ``{"<operator>": {"<key>": [values]}}``."""

    operator: str
    key: str
    values: tuple[str, ...]
    path: str = ""


@dataclass(frozen=True)
class Principal:
    """A Principal / NotPrincipal element: ``wildcard`` for ``"*"``, else values per kind (AWS, Service…)."""

    wildcard: bool = False
    entries: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class Statement:
    """One statement; list elements are ``None`` when absent."""

    index: int
    sid: str | None
    effect: str
    action: tuple[str, ...] | None = None
    not_action: tuple[str, ...] | None = None
    resource: tuple[str, ...] | None = None
    not_resource: tuple[str, ...] | None = None
    principal: Principal | None = None
    not_principal: Principal | None = None
    conditions: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class Policy:
    """A policy document read into statements; ``supports_variables`` is false before Version 2012-10-17.

    ``arn`` is the policy's ARN when known (a managed policy, an SCP): AWS names it in explicit denies.
    """

    statements: tuple[Statement, ...]
    version: str | None = "2012-10-17"
    id: str | None = None
    arn: str | None = None

    @property
    def supports_variables(self) -> bool:
        """Policy variables are substituted only in Version 2012-10-17 documents."""
        return self.version == "2012-10-17"


@dataclass(frozen=True)
class Request:
    """One request: who, what, on which resource, and the complete request context.

    Context keys are stored lower-cased (condition key names are case-insensitive); every value
    is a tuple (single-valued keys have one element, a missing key is absent).
    """

    principal: str
    action: str
    resource: str = ""
    context: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    resource_account: str | None = None
    wildcard_only_action: bool = False

    @property
    def label(self) -> str:
        """``action on resource``: how answers name a request a fix resolves."""
        return f"{self.action} on {self.resource or '*'}"
