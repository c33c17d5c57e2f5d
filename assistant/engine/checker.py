"""Checking policy text end to end: read every policy in it, validate each, place findings on lines.

This is the ``check`` stage the CLI, the API, the answer guard and ``kb lint`` share.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from assistant.engine.catalog import Catalog
from assistant.engine.checks import finding
from assistant.engine.model import Finding, Policy, PolicyType, Severity
from assistant.engine.reader import ReadDocument, locate, read_policies
from assistant.engine.validator import SizeQuota, validate

__all__ = ["CheckedPolicy", "check_text", "check_value"]


@dataclass(frozen=True)
class CheckedPolicy:
    """One policy as written, its findings, and (for broken JSON) the repaired candidate with its own."""

    policy_type: PolicyType
    value: Any
    policy: Policy | None
    findings: tuple[Finding, ...]
    repaired_value: Any = None
    repaired_policy: Policy | None = None
    repaired_findings: tuple[Finding, ...] = ()
    start: int = 0

    @property
    def valid(self) -> bool:
        """False exactly when a finding has severity ERROR."""
        return not any(f.severity is Severity.ERROR for f in self.findings)

    @property
    def usable_policy(self) -> Policy | None:
        """The policy as written, else the repaired candidate (callers must say it was repaired)."""
        return self.policy if self.policy is not None else self.repaired_policy


def _place(text: str, document: ReadDocument, found: list[Finding]) -> list[Finding]:
    placed = []
    for item in found:
        path = item.path
        while path and path not in document.offsets:
            path = path.rsplit("/", 1)[0]
        placed.append(locate(text, item, document.offsets.get(path, document.start)))
    return placed


def check_text(text: str, policy_type: PolicyType, catalog: Catalog,
               quota: SizeQuota | None = None) -> tuple[CheckedPolicy, ...]:
    """Every policy found in ``text``, checked; one ``NO_POLICY_FOUND`` result when there is none."""
    documents = read_policies(text)
    if not documents:
        return (CheckedPolicy(policy_type, None, None, (locate(text, finding("NO_POLICY_FOUND"), 0),)),)
    results = []
    for document in documents:
        unread = any(f.severity is Severity.ERROR for f in document.findings)
        if document.value is not None or not unread:
            policy, found = validate(document.value, policy_type, catalog, document.text, quota)
            results.append(CheckedPolicy(policy_type, document.value, policy,
                                         document.findings + tuple(_place(text, document, found)),
                                         start=document.start))
            continue
        repaired_policy: Policy | None = None
        repaired_found: list[Finding] = []
        if document.repaired:
            repaired_policy, repaired_found = validate(document.repaired_value, policy_type, catalog,
                                                       document.repaired_text, quota)
        results.append(CheckedPolicy(policy_type, None, None, document.findings, document.repaired_value,
                                     repaired_policy, tuple(repaired_found), document.start))
    return tuple(results)


def check_value(value: Any, policy_type: PolicyType, catalog: Catalog) -> CheckedPolicy:
    """Check a policy that is already a JSON value (API bodies, generated fixes)."""
    text = json.dumps(value, indent=2, ensure_ascii=False)
    return check_text(text, policy_type, catalog)[0] if isinstance(value, dict) else CheckedPolicy(
        policy_type, value, None, (finding("POLICY_NOT_OBJECT"),))
