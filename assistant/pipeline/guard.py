"""The guard every model answer passes: each policy JSON in it is checked and verified, and
citations of articles that were not retrieved are removed.

A policy is accepted only when it is valid, not over-permissive, and (when errors were diagnosed)
resolves every diagnosed denial under the one evaluator.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from assistant.engine.catalog import Catalog
from assistant.engine.checker import check_text
from assistant.engine.evaluator import PolicySet
from assistant.engine.model import PolicyType, Request, Severity
from assistant.engine.verify import verify_fix
from assistant.wire import finding_json

__all__ = ["OVER_PERMISSIVE", "GuardReport", "inspect_policies", "strip_citations"]

OVER_PERMISSIVE = frozenset({"ALLOW_ALL", "PASS_ROLE_WITH_STAR", "ALLOW_WITH_NOT_ACTION", "ALLOW_WITH_NOT_RESOURCE"})
_CITATION = re.compile(r"\[([a-z0-9]+(?:-[a-z0-9]+)+)\]")


@dataclass(frozen=True)
class GuardReport:
    """Problems to send back to the model, and the answer's policies as ``ask --json`` entries."""

    problems: tuple[str, ...]
    policies: tuple[dict[str, Any], ...]


def inspect_policies(text: str, catalog: Catalog, original: PolicySet, denied: Sequence[Request]) -> GuardReport:
    """Check and verify every policy JSON in a model answer."""
    problems: list[str] = []
    entries: list[dict[str, Any]] = []
    for number, checked in enumerate(check_text(text, PolicyType.IDENTITY, catalog), start=1):
        if any(f.code == "NO_POLICY_FOUND" for f in checked.findings):
            break
        errors = [f for f in checked.findings if f.severity is Severity.ERROR]
        loose = [f for f in checked.findings if f.code in OVER_PERMISSIVE]
        resolves: list[str] = []
        verified = False
        if checked.policy is not None and denied:
            candidate = PolicySet(identity=(checked.policy,), boundaries=original.boundaries,
                                  session=original.session, resource=original.resource)
            verification = verify_fix(original, candidate, denied, catalog)
            resolves = [r.before.request.label for r in verification.resolutions if r.resolved]
            verified = verification.resolves_all and not errors and not loose
            missed = [f"{r.before.request.action}" for r in verification.resolutions if not r.resolved]
            if missed:
                problems.append(f"policy {number} does not resolve the denial of {', '.join(missed)}")
        problems += [f"policy {number}: {f.code} at {f.path or '/'}: {f.message}" for f in errors + loose]
        entries.append({"source": "answer", "json": checked.value, "valid": checked.valid, "verified": verified,
                        "resolves": resolves, "findings": [finding_json(f) for f in checked.findings]})
    return GuardReport(tuple(problems), tuple(entries))


def strip_citations(text: str, allowed: set[str]) -> tuple[str, list[str], list[str]]:
    """Remove ``[article-id]`` citations of articles that were not retrieved; the cited and removed ids."""
    cited: list[str] = []
    removed: list[str] = []

    def replace(match: re.Match[str]) -> str:
        article = match.group(1)
        if article in allowed:
            if article not in cited:
                cited.append(article)
            return match.group(0)
        removed.append(article)
        return ""

    return _CITATION.sub(replace, text), cited, removed
