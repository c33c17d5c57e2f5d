"""Diagnosing access-denied messages: reproduce each against the given policies and propose a verified fix.

Shared by ``explain-error`` (CLI and API) and the answer pipeline. Principal context keys come
from the message's ARN, condition keys from a decoded authorization message; callers may add more
(a console user without MFA, for instance). When a message names the denying policy's ARN, the
pasted policy it names is evaluated as that kind of policy (an SCP, a boundary…), with its ARN.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from assistant.engine.catalog import Catalog
from assistant.engine.evaluator import Evaluation, OrgLevel, PolicySet, evaluate
from assistant.engine.explain import explain
from assistant.engine.messages import Denial, parse_denials
from assistant.engine.model import Decision, Policy, PolicyKind, Request
from assistant.engine.principals import derive_context
from assistant.engine.propose import Proposal, propose_fix

__all__ = ["Diagnosis", "ErrorReport", "diagnose", "request_for"]


@dataclass(frozen=True)
class Diagnosis:
    """One denial: the request read from it and, with policies, the engine's evaluation of it."""

    denial: Denial
    request: Request
    evaluation: Evaluation | None

    @property
    def reproduced(self) -> bool | None:
        """Whether the policies give the decision the message reports (None without policies)."""
        if self.evaluation is None:
            return None
        if self.denial.decision is None:
            return self.evaluation.decision is not Decision.ALLOWED
        return (self.evaluation.decision is self.denial.decision
                and (self.denial.kind is None or self.evaluation.reason_kind is self.denial.kind))

    def to_json(self) -> dict[str, Any]:
        """The diagnosis entry of ``ask --json`` / ``explain-error --json``."""
        evaluation = self.evaluation
        deciding = evaluation.deciding[0] if evaluation and evaluation.deciding and \
            evaluation.decision is Decision.EXPLICIT_DENY else None
        return {
            "principal": self.request.principal,
            "action": self.request.action,
            "resource": self.request.resource,
            "decision": evaluation.decision.value if evaluation else
            (self.denial.decision.value if self.denial.decision else None),
            "policy_type": (evaluation.reason_kind.value if evaluation and evaluation.reason_kind else
                            (self.denial.kind.value if self.denial.kind else None)),
            "statement_index": deciding.statement.index if deciding else None,
            "statement_sid": deciding.statement.sid if deciding else None,
            "explanation": explain(evaluation, "en") if evaluation else None,
            "explanation_ja": explain(evaluation, "ja") if evaluation else None,
            "message": evaluation.message if evaluation else self.denial.text,
            "reported": {"decision": self.denial.decision.value if self.denial.decision else None,
                         "policy_type": self.denial.kind.value if self.denial.kind else None,
                         "policy_arn": self.denial.policy_arn,
                         "text": self.denial.text},
            "reproduced": self.reproduced,
            "notes": list(self.denial.notes) + list(evaluation.warnings if evaluation else ()),
        }


@dataclass(frozen=True)
class ErrorReport:
    """Every diagnosis found in a text, and the verified fix (if one could be made)."""

    diagnoses: tuple[Diagnosis, ...]
    proposal: Proposal | None


def request_for(denial: Denial, catalog: Catalog, extra: Mapping[str, tuple[str, ...]] | None = None) -> Request:
    """The request behind a denial; an action with no resource types is wildcard-only."""
    service, _, name = denial.action.partition(":")
    info = (catalog.actions(service) or {}).get(name.lower())
    context = derive_context(denial.principal)
    context.update({k.lower(): v for k, v in denial.context})
    context.update({k.lower(): v for k, v in (extra or {}).items()})
    return Request(denial.principal, denial.action, denial.resource or "", context,
                   wildcard_only_action=info is not None and not info.resource_types)


def _names(policy: Policy, name: str | None, arn: str) -> bool:
    """Whether the denying policy's ARN names this pasted policy (by its Id, or the file it came from)."""
    short = arn.rsplit("/", 1)[-1]
    return policy.arn == arn or policy.id in (arn, short) or (name is not None and name in (arn, short))


def _placed(policy: Policy, kind: PolicyKind, others: tuple[Policy, ...]) -> PolicySet:
    """The policy set with ``policy`` evaluated as the kind the message reports."""
    if kind is PolicyKind.SCP:
        return PolicySet(identity=others, scps=(OrgLevel(policy.arn or "", (policy,)),))
    if kind is PolicyKind.RCP:
        return PolicySet(identity=others, rcps=(OrgLevel(policy.arn or "", (policy,)),))
    if kind is PolicyKind.BOUNDARY:
        return PolicySet(identity=others, boundaries=(policy,))
    if kind is PolicyKind.SESSION:
        return PolicySet(identity=others, session=policy)
    if kind is PolicyKind.RESOURCE:
        return PolicySet(identity=others, resource=policy)
    if kind is PolicyKind.VPCE:
        return PolicySet(identity=others, vpce=(policy,))
    return PolicySet(identity=(*others, policy))


def _policy_set(denial: Denial, policies: tuple[Policy, ...], names: Sequence[str | None]) -> PolicySet:
    """Identity-based policies, except the one the message's policy ARN names, placed where it belongs."""
    arn = denial.policy_arn
    named = [i for i, (p, n) in enumerate(zip(policies, names, strict=True)) if arn and _names(p, n, arn)]
    if arn is None or len(named) != 1:
        return PolicySet(identity=policies)
    picked = replace(policies[named[0]], arn=arn)
    others = tuple(p for i, p in enumerate(policies) if i != named[0])
    return _placed(picked, denial.kind or PolicyKind.IDENTITY, others)


def diagnose(text: str, identity_documents: Sequence[dict[str, Any]], identity_policies: Sequence[Policy],
             catalog: Catalog, extra_context: Mapping[str, tuple[str, ...]] | None = None,
             names: Sequence[str | None] | None = None) -> ErrorReport:
    """Diagnose every denial in ``text`` against the policies given (``names``: where each came from)."""
    denials = parse_denials(text)
    policies = tuple(identity_policies)
    labels = list(names) if names is not None else [None] * len(policies)
    sets = [_policy_set(denial, policies, labels) for denial in denials]
    diagnoses = []
    for denial, policy_set in zip(denials, sets, strict=True):
        request = request_for(denial, catalog, extra_context)
        diagnoses.append(Diagnosis(denial, request, evaluate(policy_set, request) if policies else None))
    denied = [d.request for d in diagnoses if d.evaluation and d.evaluation.decision is not Decision.ALLOWED]
    if not denied:
        return ErrorReport(tuple(diagnoses), None)
    # the fix edits identity-based policies only: a pasted SCP or boundary the message named stays as it is
    base = sets[0]
    documents = [d for d, p in zip(identity_documents, policies, strict=True) if p in base.identity]
    return ErrorReport(tuple(diagnoses), propose_fix(documents, base, denied, catalog))
