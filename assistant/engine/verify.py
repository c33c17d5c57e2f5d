"""Verifying a fix: re-run the one evaluator on the candidate for every denied request.

A fix is shown as a fix only when every denied request is allowed under the candidate. The
verification also lists access the candidate newly grants (every catalog action of the affected
services, on the denied requests' resources) and the findings it introduces.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from assistant.engine.catalog import Catalog
from assistant.engine.evaluator import Evaluation, PolicySet, evaluate
from assistant.engine.model import Decision, Finding, Request

__all__ = ["Resolution", "Verification", "verify_fix"]


@dataclass(frozen=True)
class Resolution:
    """One denied request before and after the candidate."""

    before: Evaluation
    after: Evaluation

    @property
    def resolved(self) -> bool:
        """True when the candidate allows the request."""
        return self.after.decision is Decision.ALLOWED


@dataclass(frozen=True)
class Verification:
    """What a candidate fix does to the denied requests and what else it allows."""

    resolutions: tuple[Resolution, ...]
    newly_granted: tuple[str, ...]
    introduced_findings: tuple[Finding, ...]

    @property
    def resolves_all(self) -> bool:
        """True when every denied request is allowed under the candidate."""
        return bool(self.resolutions) and all(r.resolved for r in self.resolutions)


def _granted(original: PolicySet, candidate: PolicySet, requests: Sequence[Request], catalog: Catalog) -> list[str]:
    granted: dict[str, list[str]] = {}
    for request in requests:
        service = request.action.split(":", 1)[0]
        for info in (catalog.actions(service) or {}).values():
            action = f"{service}:{info.name}"
            if action.lower() == request.action.lower():
                continue
            probe = replace(request, action=action, wildcard_only_action=not info.resource_types)
            if (evaluate(candidate, probe).decision is Decision.ALLOWED
                    and evaluate(original, probe).decision is not Decision.ALLOWED):
                resources = granted.setdefault(action, [])
                if (request.resource or "*") not in resources:
                    resources.append(request.resource or "*")
    return [f"{action} on {', '.join(resources)}" for action, resources in granted.items()]


def verify_fix(original: PolicySet, candidate: PolicySet, requests: Sequence[Request], catalog: Catalog,
               original_findings: Sequence[Finding] = (), candidate_findings: Sequence[Finding] = ()) -> Verification:
    """Evaluate each request under the original and the candidate policies."""
    resolutions = tuple(Resolution(evaluate(original, r), evaluate(candidate, r)) for r in requests)
    known = {(f.code, f.message) for f in original_findings}
    introduced = tuple(f for f in candidate_findings if (f.code, f.message) not in known)
    return Verification(resolutions, tuple(_granted(original, candidate, requests, catalog)), introduced)
