"""What a changed policy newly allows, computed by evaluation rather than listed by whoever changed it.

The probes are the requests the changed statements could match: their actions (wildcards expanded
over the catalog) × the account's resources of each action's types, the caller's own and another
user's, plus the denied requests' own resources, each with MFA absent, false and true. A probe that
the candidate allows and the original does not is a grant; grants are named by the changed
statement's resource pattern that allowed them, so ``mfa/Test`` and ``mfa/another-user`` read as
the one pattern ``arn:aws:iam::*:mfa/*`` that the customer will see in the policy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from assistant.engine.catalog import Catalog
from assistant.engine.evaluator import PolicySet, evaluate
from assistant.engine.matching import arn_matches, glob_matches, split_arn, substitute
from assistant.engine.model import Decision, Policy, Request, Statement

__all__ = ["Grant", "newly_granted"]

_MFA_KEY = "aws:multifactorauthpresent"
_MFA_STATES: tuple[str | None, ...] = (None, "false", "true")
_OTHER = "another-user"  # a name no caller has: the "other users' resources" probe
_MAX_PROBES = 3000  # per comparison; a model's sweeping policy is still checked on its first probes
_VARIABLE = re.compile(r"\$\{([^}]*)\}")


@dataclass(frozen=True)
class Grant:
    """One action newly allowed on one resource pattern; ``mfa`` lists the MFA states it holds in."""

    action: str
    resource: str
    mfa: tuple[str, ...]

    @property
    def label(self) -> str:
        """``action on resource``, as ``Request.label`` names requests."""
        return f"{self.action} on {self.resource}"


def _key(statement: Statement) -> Statement:
    return replace(statement, index=0)


def _changed(original: Sequence[Policy], candidate: Sequence[Policy]) -> list[Statement]:
    """Statements of the candidate that the original does not hold as they are."""
    before = {_key(s) for p in original for s in p.statements}
    return [s for p in candidate for s in p.statements if _key(s) not in before]


def _expand(patterns: Iterable[str], services: set[str], catalog: Catalog) -> list[tuple[str, bool]]:
    """Concrete ``(action, wildcard_only)`` pairs matching the patterns, in the services named."""
    found: dict[str, bool] = {}
    for pattern in patterns:
        service = pattern.split(":", 1)[0].lower()
        for prefix in sorted(services if "*" in service or "?" in service else {service}):
            for info in (catalog.actions(prefix) or {}).values():
                action = f"{prefix}:{info.name}"
                if glob_matches(pattern, action, ignore_case=True):
                    found.setdefault(action, not info.resource_types)
    return sorted(found.items())


def _fill(template: str, account: str, region: str, name: str) -> str:
    values = {"Partition": "aws", "Account": account, "Region": region}
    return _VARIABLE.sub(lambda m: values.get(m.group(1), name), template)


def _resources(action: str, wildcard_only: bool, account: str, region: str, own: str, seen: Sequence[str],
               catalog: Catalog) -> list[str]:
    if wildcard_only:
        return ["*"]
    service, _, name = action.partition(":")
    info = (catalog.actions(service) or {}).get(name.lower())
    resources: list[str] = []
    for resource_type in info.resource_types if info else ():
        for template in catalog.resource_arns(service, resource_type):
            for who in (own, _OTHER):
                resources.append(_fill(template, account, region, who))
            prefix = template.split("${", 1)[0]
            resources += [r for r in seen if prefix and r.startswith(_fill(prefix, account, region, ""))]
    return list(dict.fromkeys(resources + (list(seen) if not resources else [])))


def _pattern(statement: Statement, probe: Request) -> str:
    """The statement's resource pattern (as written) that matched the probe."""
    target = "*" if probe.wildcard_only_action else probe.resource
    for pattern in statement.resource or ():
        resolved = substitute(pattern, probe.context)
        if resolved is not None and arn_matches(resolved, target):
            return pattern
    return probe.resource or "*"


def newly_granted(original: PolicySet, candidate: PolicySet, requests: Sequence[Request],
                  catalog: Catalog) -> tuple[Grant, ...]:
    """Every request the changed identity statements could match that the candidate allows and the original
    did not, grouped by action and the changed statement's resource pattern."""
    changed = _changed(original.identity, candidate.identity)
    if not changed or not requests:
        return ()
    base = requests[0]
    services = {r.action.split(":", 1)[0].lower() for r in requests}
    patterns = [p for s in changed for p in (s.action or s.not_action or ())]
    actions = _expand(patterns, services, catalog)
    split = split_arn(base.principal) or ["", "", "", "", "", ""]
    account = split[4] or "123456789012"
    own = split[5].rsplit("/", 1)[-1] if "/" in split[5] else "caller"
    regions = [p[3] for p in (split_arn(r.resource) for r in requests if r.resource) if p and p[3]]
    seen = [r.resource for r in requests if r.resource and r.resource != "*"]
    changed_keys = {_key(s) for s in changed}
    found: dict[tuple[str, str], list[str]] = {}
    probes = 0
    for action, wildcard_only in actions:
        for resource in _resources(action, wildcard_only, account, regions[0] if regions else "us-east-1", own,
                                   seen, catalog):
            for mfa in _MFA_STATES:
                if probes >= _MAX_PROBES:
                    break
                probes += 1
                context = {k: v for k, v in base.context.items() if k != _MFA_KEY}
                if mfa is not None:
                    context[_MFA_KEY] = (mfa,)
                probe = replace(base, action=action, resource=resource, context=context,
                                wildcard_only_action=wildcard_only)
                after = evaluate(candidate, probe)
                if after.decision is not Decision.ALLOWED or evaluate(original, probe).decision is Decision.ALLOWED:
                    continue
                deciding = next((t.statement for t in after.deciding if _key(t.statement) in changed_keys), None)
                where = _pattern(deciding, probe) if deciding is not None else probe.resource or "*"
                states = found.setdefault((action, where), [])
                state = "absent" if mfa is None else mfa
                if state not in states:
                    states.append(state)
    return tuple(Grant(action, resource, tuple(states)) for (action, resource), states in found.items())
