"""Diagnosing access-denied messages: reproduce each against the given policies and propose a verified fix.

Shared by ``explain-error`` (CLI and API) and the answer pipeline. Principal context keys come
from the message's ARN; callers may add more (a console user without MFA, for instance).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assistant.engine.catalog import Catalog
from assistant.engine.evaluator import Evaluation, PolicySet, evaluate
from assistant.engine.explain import explain
from assistant.engine.messages import Denial, parse_denials
from assistant.engine.model import Decision, Policy, Request
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
                         "text": self.denial.text},
            "reproduced": self.reproduced,
            "notes": list(self.denial.notes),
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
    context.update({k.lower(): v for k, v in (extra or {}).items()})
    return Request(denial.principal, denial.action, denial.resource or "", context,
                   wildcard_only_action=info is not None and not info.resource_types)


def diagnose(text: str, identity_documents: Sequence[dict[str, Any]], identity_policies: Sequence[Policy],
             catalog: Catalog, extra_context: Mapping[str, tuple[str, ...]] | None = None) -> ErrorReport:
    """Diagnose every denial in ``text`` against the identity-based policies given."""
    denials = parse_denials(text)
    policies = PolicySet(identity=tuple(identity_policies))
    diagnoses = []
    for denial in denials:
        request = request_for(denial, catalog, extra_context)
        diagnoses.append(Diagnosis(denial, request, evaluate(policies, request) if identity_policies else None))
    denied = [d.request for d in diagnoses if d.evaluation and d.evaluation.decision is not Decision.ALLOWED]
    proposal = propose_fix(identity_documents, policies, denied, catalog) if denied else None
    return ErrorReport(tuple(diagnoses), proposal)
