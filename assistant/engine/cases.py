"""Reading a ``simulate --cases`` case (docs/interfaces.md) into a policy set and a request.

The case's context is complete: nothing is derived from the principal. Problems raise
``CaseError`` with a one-line reason; the caller reports it for that case and goes on.
Where a POLICY is expected, ``{"arn": "arn:…", "policy": POLICY}`` gives the policy with its ARN
(a managed policy, an SCP): explicit denies by it then end with that ARN, as AWS writes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from functools import lru_cache
from typing import Any

from assistant.engine.document import parse_policy
from assistant.engine.evaluator import OrgLevel, PolicySet
from assistant.engine.model import Policy, Request

__all__ = ["CaseError", "context_values", "parse_case", "policy_of"]


class CaseError(ValueError):
    """A case that cannot be read."""


def policy_of(value: Any, where: str) -> Policy:
    """A policy from a JSON value (or ``{"arn", "policy"}``), or CaseError naming where it was."""
    arn = None
    if isinstance(value, dict) and set(value) == {"arn", "policy"}:
        arn, value = value["arn"], value["policy"]
        if not isinstance(arn, str) or not arn.startswith("arn:"):
            raise CaseError(f"{where}.arn must be an ARN")
    policy = _parsed(_Keyed(value)) if isinstance(value, dict) else None
    if policy is None:
        raise CaseError(f"{where} is not a policy object")
    return replace(policy, arn=arn) if arn else policy


class _Keyed:
    """A JSON value that hashes and compares by its ``repr``: equal JSON values read alike give equal text."""

    __slots__ = ("key", "value")

    def __init__(self, value: Any) -> None:
        self.key, self.value = repr(value), value

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Keyed) and other.key == self.key


@lru_cache(maxsize=2048)  # pure: a policy value -> the policy; a batch repeats its policies
def _parsed(keyed: _Keyed) -> Policy | None:
    return parse_policy(keyed.value)[0]


def _policies(value: Any, where: str) -> tuple[Policy, ...]:
    if not isinstance(value, list):
        raise CaseError(f"{where} must be a list of policies")
    return tuple(policy_of(v, f"{where}[{i}]") for i, v in enumerate(value))


def _levels(value: Any, where: str) -> tuple[OrgLevel, ...]:
    if not isinstance(value, list):
        raise CaseError(f"{where} must be a list of organization levels")
    levels = []
    for index, level in enumerate(value):
        if not isinstance(level, dict):
            raise CaseError(f"{where}[{index}] must be an object with org_identifier and policies")
        levels.append(OrgLevel(str(level.get("org_identifier", index)),
                               _policies(level.get("policies", []), f"{where}[{index}].policies")))
    return tuple(levels)


def context_values(context: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """Request context with lower-case keys and every value a tuple of strings."""
    result = {}
    for key, value in context.items():
        items = value if isinstance(value, list) else [value]
        result[str(key).lower()] = tuple(str(v).lower() if isinstance(v, bool) else str(v) for v in items)
    return result


def parse_case(case: Mapping[str, Any]) -> tuple[PolicySet, Request]:
    """The policy set and request of one case."""
    request = case.get("request")
    if not isinstance(request, dict):
        raise CaseError("'request' is missing or not an object")
    for field in ("principal", "action"):
        if not isinstance(request.get(field), str) or not request[field]:
            raise CaseError(f"request.{field} must be a non-empty string")
    context = request.get("context") or {}
    if not isinstance(context, dict):
        raise CaseError("request.context must be an object")
    optional = {name: case.get(name) for name in ("permission_boundaries", "session_policy", "resource_policy",
                                                  "scps", "rcps", "vpc_endpoint_policies")}
    policies = PolicySet(
        identity=_policies(case.get("identity_policies") or [], "identity_policies"),
        boundaries=None if optional["permission_boundaries"] is None else _policies(
            optional["permission_boundaries"], "permission_boundaries"),
        session=None if optional["session_policy"] is None else policy_of(optional["session_policy"],
                                                                           "session_policy"),
        resource=None if optional["resource_policy"] is None else policy_of(optional["resource_policy"],
                                                                             "resource_policy"),
        scps=None if optional["scps"] is None else _levels(optional["scps"], "scps"),
        rcps=None if optional["rcps"] is None else _levels(optional["rcps"], "rcps"),
        vpce=None if optional["vpc_endpoint_policies"] is None else _policies(
            optional["vpc_endpoint_policies"], "vpc_endpoint_policies"),
    )
    account = request.get("resource_account")
    return policies, Request(
        principal=request["principal"],
        action=request["action"],
        resource=str(request.get("resource") or ""),
        context=context_values(context),
        resource_account=str(account) if account not in (None, "") else None,
        wildcard_only_action=bool(request.get("wildcard_only_action", False)),
    )
