"""Verifying a fix: re-run the one evaluator on the candidate for every denied request.

A fix is shown as a fix only when every denied request is allowed under the candidate. The
verification also carries what the candidate newly grants (computed in ``grants`` by evaluating
both policies over every request the changed statements could match) and the findings it introduces.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assistant.engine.catalog import Catalog
from assistant.engine.evaluator import Evaluation, PolicySet, evaluate
from assistant.engine.grants import Grant, newly_granted
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
    grants: tuple[Grant, ...]
    introduced_findings: tuple[Finding, ...]

    @property
    def newly_granted(self) -> tuple[str, ...]:
        """The grants as ``action on resource`` labels (the ``newly_granted`` of ``ask --json``)."""
        return tuple(g.label for g in self.grants)

    @property
    def resolves_all(self) -> bool:
        """True when every denied request is allowed under the candidate."""
        return bool(self.resolutions) and all(r.resolved for r in self.resolutions)


def verify_fix(original: PolicySet, candidate: PolicySet, requests: Sequence[Request], catalog: Catalog,
               original_findings: Sequence[Finding] = (), candidate_findings: Sequence[Finding] = ()) -> Verification:
    """Evaluate each request under the original and the candidate policies."""
    resolutions = tuple(Resolution(evaluate(original, r), evaluate(candidate, r)) for r in requests)
    known = {(f.code, f.message) for f in original_findings}
    introduced = tuple(f for f in candidate_findings if (f.code, f.message) not in known)
    return Verification(resolutions, newly_granted(original, candidate, requests, catalog), introduced)
