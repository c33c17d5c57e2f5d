"""Proposing a fix for denied requests: the least change to the identity-based policies, shown only once verified.

For an explicit deny from ``Deny`` + ``NotAction`` the action is exempted (added to ``NotAction``)
only when the catalog says it is List or Read level; otherwise the trade-off is explained and
nothing is proposed. For an implicit deny a fix never widens a statement that also grants other
actions: the denied action gets its own statement on the denied resource, generalized only to its
siblings (``mfa/Test`` → ``mfa/*``, device names being chosen freely; an S3 object → the keys under its
prefix); only a statement that grants
nothing but that action is edited in place. Denials from other policy kinds are explained.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from assistant.engine.catalog import Catalog
from assistant.engine.document import parse_policy
from assistant.engine.evaluator import PolicySet, StatementTrace, evaluate
from assistant.engine.matching import has_wildcard, split_arn
from assistant.engine.model import Decision, Policy, PolicyKind, Request
from assistant.engine.verify import Verification, verify_fix

__all__ = ["Edit", "EditKind", "Obstacle", "ObstacleKind", "Proposal", "propose_fix"]

_SAFE_LEVELS = ("list", "read")


class EditKind(StrEnum):
    """The kinds of change a proposal makes."""

    EXEMPT = "exempt"  # action added to a Deny statement's NotAction
    ADD_RESOURCE = "add_resource"  # resource added to a statement that grants only this action
    NEW_STATEMENT = "new_statement"  # a new Allow statement for the action on the resource
    EXTEND_NEW = "extend_new"  # action added to a statement this proposal created (same resource)


@dataclass(frozen=True)
class Edit:
    """One change: its kind, the statement (Sid, else 1-based position), the action and resource, the level."""

    kind: EditKind
    statement: str
    action: str
    resource: str = ""
    level: str = ""

    @property
    def text(self) -> str:
        """The change in one English line (``explain-error --json`` ``changes``)."""
        if self.kind is EditKind.EXEMPT:
            return f"statement {self.statement}: add {self.action} ({self.level}) to NotAction"
        if self.kind is EditKind.ADD_RESOURCE:
            return f"statement {self.statement}: add resource {self.resource}"
        if self.kind is EditKind.EXTEND_NEW:
            return f"new statement {self.statement}: also allow {self.action} on {self.resource}"
        return f"new statement {self.statement}: allow {self.action} on {self.resource}"


class ObstacleKind(StrEnum):
    """Why a denial was left as it is."""

    OTHER_POLICY = "other_policy"  # blocked by a policy kind the identity policy cannot override
    DENY_KEPT = "deny_kept"  # an explicit deny of a Write/Permissions-level action: kept on purpose


@dataclass(frozen=True)
class Obstacle:
    """A denial the proposal does not change, and why."""

    kind: ObstacleKind
    action: str
    statement: str = ""
    level: str = ""
    blocked_by: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """The obstacle in one English line (``explain-error --json`` ``notes``)."""
        if self.kind is ObstacleKind.OTHER_POLICY:
            return (f"{self.action}: blocked by {', '.join(self.blocked_by)}, which the identity-based policy "
                    "cannot override; that policy must change")
        return (f"{self.action}: denied by statement {self.statement}; it is {self.level or 'an unknown'}-level "
                "access, so the deny is kept (meet its condition, e.g. sign in with MFA, or change it deliberately)")


@dataclass(frozen=True)
class Proposal:
    """Candidate identity policies, the edits made, the denials left alone, and the proof."""

    candidates: tuple[dict[str, Any], ...]
    edits: tuple[Edit, ...]
    obstacles: tuple[Obstacle, ...]
    verification: Verification | None

    @property
    def verified(self) -> bool:
        """True only when the checker proved the candidate resolves every denied request."""
        return self.verification is not None and self.verification.resolves_all

    @property
    def changes(self) -> tuple[str, ...]:
        """The edits as English lines."""
        return tuple(e.text for e in self.edits)

    @property
    def notes(self) -> tuple[str, ...]:
        """The obstacles as English lines."""
        return tuple(o.text for o in self.obstacles)


def _raw_statements(document: dict[str, Any]) -> list[Any]:
    """The document's Statement as a list (a lone statement object becomes a one-item list)."""
    statements = document.get("Statement")
    if isinstance(statements, dict):
        document["Statement"] = [statements]
    elif not isinstance(statements, list):
        document["Statement"] = []
    raw: list[Any] = document["Statement"]
    return raw


def _as_list(statement: dict[str, Any], element: str) -> list[Any]:
    value = statement.get(element)
    items = value if isinstance(value, list) else [value] if value is not None else []
    statement[element] = items
    return items


def _label(trace: StatementTrace) -> str:
    """A statement as the customer sees it: its Sid, else its 1-based position."""
    return trace.statement.sid or f"#{trace.statement.index + 1}"


def _resource_pattern(request: Request) -> str:
    """The request's resource widened to its siblings: ``…:mfa/Test`` -> ``…:mfa/*``."""
    if request.wildcard_only_action or not request.resource:
        return "*"
    parts = split_arn(request.resource)
    if parts is None:
        return request.resource
    head, slash, _ = parts[5].rpartition("/")
    # an S3 object's siblings are the keys under its prefix (next month's report is read the same way);
    # elsewhere a path may group other principals' resources (user/division/alice), so one level only
    if slash and head and ("/" not in head or parts[2] == "s3"):
        parts[5] = f"{head}/*"
    return ":".join(parts)


def _access_level(catalog: Catalog, action: str) -> str:
    service, _, name = action.partition(":")
    info = (catalog.actions(service) or {}).get(name.lower())
    return info.access_level if info else ""


class _Documents:
    """The identity documents being edited, with the parsed policies kept aligned to their positions."""

    def __init__(self, values: Sequence[dict[str, Any]]) -> None:
        self.values = [copy.deepcopy(v) for v in values] or [{"Version": "2012-10-17", "Statement": []}]
        self.created: dict[str, dict[str, Any]] = {}  # resource -> statement this proposal added

    def policy_set(self, policies: PolicySet) -> tuple[PolicySet, list[int]]:
        """The policy set with these documents as identity policies, and each parsed policy's document index."""
        parsed = [(i, parse_policy(v)[0]) for i, v in enumerate(self.values)]
        kept: list[tuple[int, Policy]] = [(i, p) for i, p in parsed if p is not None]
        return (PolicySet(tuple(p for _, p in kept), policies.boundaries, policies.session, policies.resource,
                          policies.scps, policies.rcps, policies.vpce), [i for i, _ in kept])

    def statement(self, positions: list[int], trace: StatementTrace) -> dict[str, Any] | None:
        raw = _raw_statements(self.values[positions[trace.policy_index]])
        index = trace.statement.index
        return raw[index] if index < len(raw) and isinstance(raw[index], dict) else None

    def sid(self, action: str) -> str:
        taken = {s["Sid"] for v in self.values for s in _raw_statements(v)
                 if isinstance(s, dict) and isinstance(s.get("Sid"), str)}  # a Sid of another type is no name
        base = "Allow" + "".join(c for c in action.split(":", 1)[-1] if c.isalnum())
        return next(f"{base}{n}" if n else base for n in range(len(taken) + 1) if (f"{base}{n}" if n else base)
                    not in taken)


def _sole_action(statement: dict[str, Any], action: str) -> bool:
    """True when the statement grants nothing but ``action`` (so adding a resource widens nothing else)."""
    actions = _as_list(dict(statement), "Action")
    return (len(actions) == 1 and isinstance(actions[0], str) and not has_wildcard(actions[0])
            and actions[0].lower() == action.lower() and "NotAction" not in statement)


def _allow(documents: _Documents, request: Request, policies: PolicySet, edits: list[Edit]) -> None:
    candidate, positions = documents.policy_set(policies)
    traces = evaluate(candidate, request).traces
    near = next((t for t in traces if t.kind is PolicyKind.IDENTITY and t.effect == "Allow"
                 and not t.statement.conditions and t.statement.action is not None
                 and t.action_matched and not t.resource_matched), None)
    pattern = _resource_pattern(request)
    statement = documents.statement(positions, near) if near is not None else None
    if near is not None and statement is not None and _sole_action(statement, request.action):
        _as_list(statement, "Resource").append(pattern)
        edits.append(Edit(EditKind.ADD_RESOURCE, _label(near), request.action, pattern))
        return
    mine = documents.created.get(pattern)
    if mine is not None:
        _as_list(mine, "Action").append(request.action)
        edits.append(Edit(EditKind.EXTEND_NEW, str(mine["Sid"]), request.action, pattern))
        return
    sid = documents.sid(request.action)
    new = {"Sid": sid, "Effect": "Allow", "Action": request.action, "Resource": pattern}
    documents.created[pattern] = new
    if near is not None and statement is not None:  # next to the statement it complements
        raw = _raw_statements(documents.values[positions[near.policy_index]])
        raw.insert(raw.index(statement) + 1, new)
    else:
        _raw_statements(documents.values[0]).append(new)
    edits.append(Edit(EditKind.NEW_STATEMENT, sid, request.action, pattern))


def propose_fix(identity_documents: Sequence[dict[str, Any]], policies: PolicySet, requests: Sequence[Request],
                catalog: Catalog) -> Proposal:
    """A verified least change to the identity-based policies that allows every request, or why not."""
    documents = _Documents(identity_documents)
    edits: list[Edit] = []
    obstacles: list[Obstacle] = []
    for request in requests:
        candidate, positions = documents.policy_set(policies)
        evaluation = evaluate(candidate, request)
        if evaluation.decision is Decision.ALLOWED:
            continue
        other = [k for k in evaluation.blocked_by if k is not PolicyKind.IDENTITY]
        if other:
            obstacles.append(Obstacle(ObstacleKind.OTHER_POLICY, request.action,
                                      blocked_by=tuple(k.value for k in other)))
            continue
        blocked = False
        level = _access_level(catalog, request.action)
        for trace in evaluation.deciding:
            statement = documents.statement(positions, trace)
            if statement is not None and trace.statement.not_action is not None and level.lower() in _SAFE_LEVELS:
                _as_list(statement, "NotAction").append(request.action)
                edits.append(Edit(EditKind.EXEMPT, _label(trace), request.action, level=level))
            else:
                blocked = True
                obstacles.append(Obstacle(ObstacleKind.DENY_KEPT, request.action, _label(trace), level))
        if blocked:
            continue
        if evaluate(documents.policy_set(policies)[0], request).decision is not Decision.ALLOWED:
            _allow(documents, request, policies, edits)
    if not edits:
        return Proposal((), (), tuple(obstacles), None)
    original = _Documents(identity_documents).policy_set(policies)[0]
    verification = verify_fix(original, documents.policy_set(policies)[0], requests, catalog)
    return Proposal(tuple(documents.values), tuple(edits), tuple(obstacles), verification)
