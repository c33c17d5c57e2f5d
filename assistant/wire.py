"""Wire shapes: the JSON documents of docs/interfaces.md, built from engine values in one place.

The CLI and the HTTP API both print these; nothing else decides field names.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from assistant.engine.cases import CaseError, parse_case
from assistant.engine.catalog import Catalog
from assistant.engine.checker import CheckedPolicy
from assistant.engine.evaluator import Evaluation, evaluate
from assistant.engine.model import Finding, PolicyType
from assistant.engine.propose import Proposal
from assistant.errors import UsageError

if TYPE_CHECKING:
    from assistant.pipeline.diagnosis import ErrorReport

__all__ = ["case_line", "check_document", "evaluation_line", "explain_error_document", "finding_json",
           "proposal_json"]

NO_DENIAL_FOUND = "no access-denied message found in the text (expected 'User: … is not authorized to perform: …')"


def finding_json(item: Finding) -> dict[str, Any]:
    """One finding: code, severity, message (English), message_ja, path, line, column and hint."""
    return {"code": item.code, "severity": item.severity.value, "message": item.message,
            "message_ja": item.message_ja, "path": item.path, "line": item.line, "column": item.column,
            "hint": item.hint}


def _checked_json(checked: CheckedPolicy) -> dict[str, Any]:
    document: dict[str, Any] = {"valid": checked.valid, "findings": [finding_json(f) for f in checked.findings]}
    if checked.repaired_value is not None:
        document["repaired"] = {"json": checked.repaired_value, "note": "repaired candidate, not the policy as "
                                "written", "findings": [finding_json(f) for f in checked.repaired_findings]}
    return document


def check_document(results: Sequence[CheckedPolicy], policy_type: PolicyType) -> dict[str, Any]:
    """The ``check --json`` document; with several policies in the text, each is also listed."""
    findings = [finding_json(f) for r in results for f in r.findings]
    document: dict[str, Any] = {"valid": all(r.valid for r in results), "policy_type": policy_type.value,
                                "findings": findings}
    if results and results[0].repaired_value is not None:
        document["repaired"] = _checked_json(results[0])["repaired"]
    if len(results) > 1:
        document["policies"] = [_checked_json(r) for r in results]
    return document


def evaluation_line(case_id: Any, evaluation: Evaluation) -> dict[str, Any]:
    """One output line of ``simulate``."""
    deciding = evaluation.deciding[0] if evaluation.deciding and evaluation.decision.value != "Allowed" else None
    line: dict[str, Any] = {
        "id": case_id,
        "decision": evaluation.decision.value,
        "blocked_by": [k.value for k in evaluation.blocked_by],
        "message": evaluation.message,
    }
    if deciding is not None:
        line["statement"] = {"policy_type": deciding.kind.value, "policy_index": deciding.policy_index,
                             "statement_index": deciding.statement.index, "statement_sid": deciding.statement.sid}
    return line


def proposal_json(proposal: Proposal, originals: Sequence[Any], catalog: Catalog) -> dict[str, Any]:
    """A proposed fix: the candidate policies, what changed, whether it is verified, what it resolves."""
    from assistant.engine.checker import check_value

    findings = [f for value in proposal.candidates for f in check_value(value, PolicyType.IDENTITY, catalog).findings]
    original = {(f.code, f.message) for value in originals
                for f in check_value(value, PolicyType.IDENTITY, catalog).findings}
    verification = proposal.verification
    return {
        "json": list(proposal.candidates) if proposal.verified else None,
        "verified": proposal.verified,
        "changes": list(proposal.changes),
        "notes": list(proposal.notes),
        "resolves": [r.before.request.label for r in (verification.resolutions if verification else ())
                     if r.resolved],
        "newly_granted": list(verification.newly_granted) if verification else [],
        "findings": [finding_json(f) for f in findings if (f.code, f.message) not in original],
    }


def case_line(case: Any, where: str = "") -> dict[str, Any]:
    """The ``simulate`` output line of one case value: its evaluation, or ``{"id", "error"}`` when unreadable."""
    case_id = case.get("id") if isinstance(case, dict) else None
    try:
        if not isinstance(case, dict):
            raise CaseError("a case must be a JSON object")
        return evaluation_line(case_id, evaluate(*parse_case(case)))
    except CaseError as exc:
        return {"id": case_id, "error": f"{where}{exc}"}


def explain_error_document(report: ErrorReport, originals: Sequence[Any], catalog: Catalog) -> dict[str, Any]:
    """The ``explain-error --json`` document; ``UsageError`` when the text held no access-denied message."""
    if not report.diagnoses:
        raise UsageError(NO_DENIAL_FOUND)
    return {"diagnoses": [d.to_json() for d in report.diagnoses],
            "fix": proposal_json(report.proposal, originals, catalog) if report.proposal else None}
