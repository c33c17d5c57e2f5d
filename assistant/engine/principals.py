"""Who is asking: parse a principal ARN and match it against Principal elements of a policy.

A role ARN in a policy matches that role's sessions; an account (``123456789012`` or its
``:root`` ARN) matches every principal of the account; ``"*"`` matches everyone, anonymous too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from assistant.engine.model import Principal

__all__ = ["Caller", "MatchVia", "derive_context", "parse_caller", "principal_match"]

_ACCOUNT = re.compile(r"^\d{12}$")

MatchVia = str  # "wildcard" | "account" | "user" | "role" | "session" | "service" | "federated"


@dataclass(frozen=True)
class Caller:
    """The request's principal: ``kind`` is user, role, assumed-role, root, federated-user, service or anonymous."""

    arn: str
    kind: str
    account: str | None = None
    name: str | None = None  # user name, role name, or federated user name
    session: str | None = None


@lru_cache(maxsize=1024)  # pure: principal text -> Caller (a frozen value); a batch repeats its principals
def parse_caller(principal: str) -> Caller:
    """Parse a principal ARN, a service principal (``lambda.amazonaws.com``) or ``anonymous``."""
    if principal in ("anonymous", "*", ""):
        return Caller(principal or "anonymous", "anonymous")
    if not principal.startswith("arn:"):
        return Caller(principal, "service")
    parts = principal.split(":", 5)
    if len(parts) != 6:
        return Caller(principal, "unknown")
    account, resource = parts[4], parts[5]
    if resource == "root":
        return Caller(principal, "root", account)
    kind, _, rest = resource.partition("/")
    if kind == "assumed-role":
        role, _, session = rest.partition("/")
        return Caller(principal, "assumed-role", account, role, session)
    if kind in ("user", "role", "federated-user"):
        return Caller(principal, kind, account, rest.rsplit("/", 1)[-1])
    return Caller(principal, "unknown", account)


def _aws_value_matches(value: str, caller: Caller) -> MatchVia | None:
    if value == "*":
        return "wildcard"
    if _ACCOUNT.match(value):
        return "account" if caller.account == value else None
    parts = value.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    account, resource = parts[4], parts[5]
    if resource == "root":
        return "account" if caller.account == account else None
    if caller.account != account:
        return None
    kind, _, rest = resource.partition("/")
    name = rest.rsplit("/", 1)[-1]
    if kind == "user" and caller.kind == "user":
        return "user" if caller.name == name and value == caller.arn else None
    if kind == "role" and caller.kind in ("assumed-role", "role"):
        return "role" if caller.name == name else None
    if kind == "assumed-role" and caller.kind == "assumed-role":
        return "session" if value == caller.arn else None
    if kind == "federated-user" and caller.kind == "federated-user":
        return "session" if value == caller.arn else None
    return None


# how strongly a Principal value names the caller: its session or user ARN, then its role, then its account
_RANK = {"account": 0, "role": 1, "wildcard": 2, "service": 2, "federated": 2, "user": 3, "session": 3}


def principal_match(element: Principal, caller: Caller) -> MatchVia | None:
    """How ``caller`` matches a Principal element, or None when it does not."""
    if element.wildcard:
        return "wildcard"
    best: MatchVia | None = None
    for kind, values in element.entries:
        for value in values:
            via: MatchVia | None = None
            if kind == "AWS" and caller.kind not in ("service", "anonymous"):
                via = _aws_value_matches(value, caller)
            elif kind == "Service" and caller.kind == "service":
                via = "service" if value.lower() == caller.arn.lower() else None
            elif kind == "Federated" and caller.kind not in ("anonymous",):
                via = "federated" if value == caller.arn else None
            if via is not None and _RANK[via] > _RANK.get(best or "", -1):
                best = via  # a direct match outranks the role, which outranks delegation to the account
    return best


_PRINCIPAL_TYPE = {"user": "User", "assumed-role": "AssumedRole", "role": "AssumedRole", "root": "Account",
                   "federated-user": "FederatedUser", "anonymous": "Anonymous"}


def derive_context(principal: str) -> dict[str, tuple[str, ...]]:
    """Principal context keys AWS adds to a request, as far as the ARN tells them (lower-case keys)."""
    caller = parse_caller(principal)
    context: dict[str, tuple[str, ...]] = {}
    if caller.kind in _PRINCIPAL_TYPE:
        context["aws:principaltype"] = (_PRINCIPAL_TYPE[caller.kind],)
    if caller.account:
        context["aws:principalaccount"] = (caller.account,)
    if caller.kind == "user":
        context["aws:username"] = (caller.name or "",)
        context["aws:principalarn"] = (caller.arn,)
    elif caller.kind == "assumed-role":
        partition = caller.arn.split(":")[1]
        context["aws:principalarn"] = (f"arn:{partition}:iam::{caller.account}:role/{caller.name}",)
    elif caller.kind in ("root", "federated-user", "role"):
        context["aws:principalarn"] = (caller.arn,)
    return context
