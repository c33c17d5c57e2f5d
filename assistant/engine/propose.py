"""Proposing a fix for denied requests, deterministically and minimally, and only once verified.

For an explicit deny from ``Deny`` + ``NotAction`` the action is added to ``NotAction`` only when
the catalog says it is List or Read level; otherwise the trade-off is explained and nothing is
proposed. For an implicit deny the statement that almost matched gets the missing resource pattern
or action; failing that, a new statement scoped to the request is added. Changes go to the
identity-based policies (the ones a user pastes); denials from other policy kinds are explained.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from assistant.engine.catalog import Catalog
from assistant.engine.document import parse_policy
from assistant.engine.evaluator import PolicySet, StatementTrace, evaluate
from assistant.engine.matching import split_arn
from assistant.engine.model import Decision, Policy, PolicyKind, Request
from assistant.engine.verify import Verification, verify_fix

__all__ = ["Proposal", "propose_fix"]

_SAFE_LEVELS = ("list", "read")


@dataclass(frozen=True)
class Proposal:
    """Candidate identity policies, what changed, notes on what could not be changed, and the proof."""

    candidates: tuple[dict[str, Any], ...]
    changes: tuple[str, ...]
    notes: tuple[str, ...]
    verification: Verification | None

    @property
    def verified(self) -> bool:
        """True only when the checker proved the candidate resolves every denied request."""
        return self.verification is not None and self.verification.resolves_all


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    statements = document.get("Statement")
    if isinstance(statements, dict):
        document["Statement"] = [statements]
    elif not isinstance(statements, list):
        document["Statement"] = []
    return [s for s in document["Statement"] if isinstance(s, dict)]


def _as_list(statement: dict[str, Any], element: str) -> list[Any]:
    value = statement.get(element)
    items = value if isinstance(value, list) else [value] if value is not None else []
    statement[element] = items
    return items


def _resource_pattern(request: Request) -> str:
    """The request's resource widened to its siblings: ``…:mfa/Test`` -> ``…:mfa/*``."""
    if request.wildcard_only_action or not request.resource:
        return "*"
    parts = split_arn(request.resource)
    if parts is None:
        return request.resource
    head, slash, _ = parts[5].rpartition("/")
    if slash and head and "/" not in head:
        parts[5] = f"{head}/*"
    return ":".join(parts)


def _access_level(catalog: Catalog, action: str) -> str:
    service, _, name = action.partition(":")
    info = (catalog.actions(service) or {}).get(name.lower())
    return info.access_level if info else ""


def _policies(values: Sequence[dict[str, Any]]) -> tuple[Policy, ...]:
    return tuple(p for p in (parse_policy(v)[0] for v in values) if p is not None)


def _near_miss(traces: Sequence[StatementTrace]) -> StatementTrace | None:
    candidates = [t for t in traces if t.kind is PolicyKind.IDENTITY and t.effect == "Allow"
                  and not t.statement.conditions and t.statement.not_action is None]
    return next((t for t in candidates if t.action_matched and not t.resource_matched), None) or next(
        (t for t in candidates if t.resource_matched and not t.action_matched and t.statement.action is not None),
        None)


def _allow(documents: list[dict[str, Any]], request: Request, policies: PolicySet, changes: list[str]) -> None:
    evaluation = evaluate(_with_identity(policies, documents), request)
    near = _near_miss(evaluation.traces)
    if near is not None:
        statement = _statements(documents[near.policy_index])[near.statement.index]
        label = near.statement.sid or f"#{near.statement.index}"
        if near.action_matched:
            pattern = _resource_pattern(request)
            _as_list(statement, "Resource").append(pattern)
            changes.append(f"statement {label}: add resource {pattern}")
        else:
            _as_list(statement, "Action").append(request.action)
            changes.append(f"statement {label}: add action {request.action}")
        return
    name = request.action.split(":", 1)[-1]
    pattern = _resource_pattern(request)
    sid = "Allow" + "".join(c for c in name if c.isalnum())
    _statements(documents[0])
    documents[0]["Statement"].append({"Sid": sid, "Effect": "Allow", "Action": request.action, "Resource": pattern})
    changes.append(f"new statement {sid}: allow {request.action} on {pattern}")


def _with_identity(policies: PolicySet, documents: Sequence[dict[str, Any]]) -> PolicySet:
    return PolicySet(_policies(documents), policies.boundaries, policies.session, policies.resource, policies.scps,
                     policies.rcps, policies.vpce)


def propose_fix(identity_documents: Sequence[dict[str, Any]], policies: PolicySet, requests: Sequence[Request],
                catalog: Catalog) -> Proposal:
    """A verified change to the identity-based policies that allows every request, or notes on why not."""
    documents = [copy.deepcopy(d) for d in identity_documents] or [{"Version": "2012-10-17", "Statement": []}]
    changes: list[str] = []
    notes: list[str] = []
    for request in requests:
        evaluation = evaluate(_with_identity(policies, documents), request)
        if evaluation.decision is Decision.ALLOWED:
            continue
        other = [k for k in evaluation.blocked_by if k is not PolicyKind.IDENTITY]
        if other:
            notes.append(f"{request.action}: blocked by {', '.join(k.value for k in other)}, which the "
                         "identity-based policy cannot override; that policy must change")
            continue
        blocked = False
        for trace in evaluation.deciding:
            statement = _statements(documents[trace.policy_index])[trace.statement.index]
            label = trace.statement.sid or f"#{trace.statement.index}"
            level = _access_level(catalog, request.action)
            if trace.statement.not_action is not None and level.lower() in _SAFE_LEVELS:
                _as_list(statement, "NotAction").append(request.action)
                changes.append(f"statement {label}: add {request.action} ({level}) to NotAction")
            else:
                blocked = True
                notes.append(f"{request.action}: denied by statement {label}; it is {level or 'an unknown'}-level "
                             "access, so the deny is kept (meet its condition, e.g. sign in with MFA, or change "
                             "it deliberately)")
        if blocked:
            continue
        if evaluate(_with_identity(policies, documents), request).decision is not Decision.ALLOWED:
            _allow(documents, request, policies, changes)
    if not changes:
        return Proposal((), (), tuple(notes), None)
    candidate = _with_identity(policies, documents)
    original = _with_identity(policies, identity_documents)
    verification = verify_fix(original, candidate, requests, catalog)
    return Proposal(tuple(documents), tuple(changes), tuple(notes), verification)
