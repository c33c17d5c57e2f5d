"""Evaluating one request with AWS's policy evaluation logic; the result is a value with its trace.

Order (IAM User Guide, "Policy evaluation logic"): an applicable Deny in any policy wins; then each
organization level of RCPs and SCPs must allow; then the resource-based policy and identity-based
policies, limited by permissions boundaries and session policies; VPC endpoint policies must allow.
Within one account a resource-based policy that names the user or the session grants directly;
naming the role is limited by boundary and session policy; naming the account delegates to IAM.
Across accounts both sides must allow. Role trust policies and KMS key policies must always allow.
Anonymous requests are not subject to SCPs; the root user needs no identity-based policy. A few
service rules (``service_rules``) decide a request whatever the policies say. A condition whose
operator is unknown never holds, and the evaluation says so in ``warnings``: AWS would have
rejected that policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from assistant.engine.conditions import condition_holds, condition_readable
from assistant.engine.matching import LITERAL, glob_matches, has_wildcard, split_arn, substitute
from assistant.engine.messages import render_message
from assistant.engine.model import Condition, Decision, Policy, PolicyKind, Request, Statement
from assistant.engine.principals import Caller, parse_caller, principal_match
from assistant.engine.service_rules import ServiceRule, overriding_rule

__all__ = ["Evaluation", "OrgLevel", "PolicySet", "StatementTrace", "evaluate", "resource_matches"]

_PRINCIPAL_KINDS = frozenset({PolicyKind.RESOURCE, PolicyKind.VPCE, PolicyKind.RCP})


@dataclass(frozen=True)
class OrgLevel:
    """One level of an organization (root, an OU, the account) and the SCPs or RCPs attached there."""

    identifier: str
    policies: tuple[Policy, ...]


@dataclass(frozen=True)
class PolicySet:
    """Every policy that applies to one request; ``None`` means that kind does not apply."""

    identity: tuple[Policy, ...] = ()
    boundaries: tuple[Policy, ...] | None = None
    session: Policy | None = None
    resource: Policy | None = None
    scps: tuple[OrgLevel, ...] | None = None
    rcps: tuple[OrgLevel, ...] | None = None
    vpce: tuple[Policy, ...] | None = None


@dataclass(frozen=True)
class StatementTrace:
    """Why one statement did or did not apply to the request."""

    kind: PolicyKind
    policy_index: int
    statement: Statement
    level: str | None
    action_matched: bool
    resource_matched: bool
    principal_via: str | None  # how the principal matched; None when it did not or is not checked
    principal_matched: bool
    failed_conditions: tuple[Condition, ...]
    conditions_evaluated: bool
    unreadable_conditions: tuple[Condition, ...] = ()  # unknown operators: AWS would reject the policy
    policy_arn: str | None = None

    @property
    def applies(self) -> bool:
        """True when action, resource, principal and every condition match."""
        return (self.action_matched and self.resource_matched and self.principal_matched
                and self.conditions_evaluated and not self.failed_conditions)

    @property
    def effect(self) -> str:
        """``Allow`` or ``Deny``."""
        return self.statement.effect


@dataclass(frozen=True)
class Evaluation:
    """The decision for one request, the kinds that blocked it, the deciding statements and the full trace."""

    request: Request
    decision: Decision
    blocked_by: tuple[PolicyKind, ...]
    deciding: tuple[StatementTrace, ...]
    traces: tuple[StatementTrace, ...]
    message: str | None
    reason_kind: PolicyKind | None
    service_rule: ServiceRule | None = None

    @property
    def warnings(self) -> tuple[str, ...]:
        """Conditions no decision may rest on: their operator is unknown, so AWS would reject the policy."""
        return tuple(
            f"{t.kind.value} policy {t.policy_index + 1}, statement {t.statement.index + 1}: unknown condition "
            f"operator '{c.operator}' (AWS rejects this policy); the {t.effect} was not applied"
            for t in self.traces for c in t.unreadable_conditions
        )


@lru_cache(maxsize=8192)  # pure: (pattern, action) -> bool; a batch asks the same pairs again and again
def _action_pattern_matches(pattern: str, action: str) -> bool:
    if pattern == "*":
        return True
    # A service prefix is never a wildcard: "*:GetBucket" matches nothing, only "*" alone matches all
    colon = pattern.find(":")
    if colon >= 0 and ("*" in pattern[:colon] or "?" in pattern[:colon]):
        return False
    return glob_matches(pattern, action, ignore_case=True)


def _action_matches(statement: Statement, action: str) -> bool:
    if statement.action is not None:
        return any(_action_pattern_matches(p, action) for p in statement.action)
    if statement.not_action is not None:
        return not any(_action_pattern_matches(p, action) for p in statement.not_action)
    return False


def _segments_match(pattern: list[str], value: list[str], at: int = 0, start: int = 0) -> bool:
    """ARN segments in order; a segment ending in ``*`` may also span the colons after it (IAM User Guide)."""
    if at == len(pattern):
        return start == len(value)
    if start == len(value):
        return False
    segment = pattern[at]
    if at == 2 and has_wildcard(segment):
        return False  # the service segment cannot hold a wildcard
    if not segment.endswith("*"):
        return glob_matches(segment, value[start]) and _segments_match(pattern, value, at + 1, start + 1)
    return any(glob_matches(segment, ":".join(value[start:end])) and _segments_match(pattern, value, at + 1, end)
               for end in range(start + 1, len(value) + 1))


@lru_cache(maxsize=8192)  # pure: (pattern, resource) -> bool; bounded memoisation only
def resource_matches(pattern: str, resource: str) -> bool:
    """Match a Resource / NotResource pattern against the request's resource."""
    if pattern == "*":
        return True
    if not has_wildcard(pattern):
        return glob_matches(pattern, resource)  # plain text: equality
    value = split_arn(resource)
    if value is None or not pattern.startswith("arn:"):
        return glob_matches(pattern, resource)
    segments = pattern.split(":", 5)
    head = ":".join(segments[:5])
    if len(segments) == 6 and not has_wildcard(head) and LITERAL not in head:
        # the usual shape (arn:aws:s3:::bucket/*): the first five segments are literal text
        return segments[:5] == value[:5] and glob_matches(segments[5], value[5])
    return _segments_match(segments, value)


def _resource_matches(statement: Statement, request: Request, policy: Policy) -> bool:
    target = "*" if request.wildcard_only_action else request.resource
    patterns = statement.resource if statement.resource is not None else statement.not_resource
    if patterns is None:
        return True  # trust policies have no Resource: the role itself is the resource
    resolved = [
        substitute(p, request.context) if policy.supports_variables else p for p in patterns
    ]
    hit = any(p is not None and resource_matches(p, target) for p in resolved)
    return hit if statement.resource is not None else not hit


def _principal_via(statement: Statement, caller: Caller, bounded: bool) -> tuple[bool, str | None]:
    if statement.principal is not None:
        via = principal_match(statement.principal, caller)
        return via is not None, via
    if statement.not_principal is not None:
        if bounded and statement.effect == "Deny":
            return True, "not-principal"  # such a Deny always applies to a principal with a permissions boundary
        via = principal_match(statement.not_principal, caller)
        # NotPrincipal excludes a role session only when it names that session: the role ARN is not enough
        excluded = via is not None and not (via == "role" and caller.kind == "assumed-role")
        return not excluded, "not-principal"
    return False, None


def _trace(kind: PolicyKind, index: int, level: str | None, policy: Policy, statement: Statement,
           request: Request, caller: Caller, bounded: bool) -> StatementTrace:
    action = _action_matches(statement, request.action)
    resource = _resource_matches(statement, request, policy)
    if kind in _PRINCIPAL_KINDS:
        principal, via = _principal_via(statement, caller, bounded)
    else:
        principal, via = True, None
    evaluated = action and resource and principal
    failed: tuple[Condition, ...] = ()
    unreadable: tuple[Condition, ...] = ()
    if evaluated:
        failed = tuple(
            c for c in statement.conditions
            if not condition_holds(c, request.context, policy.supports_variables)
        )
        unreadable = tuple(c for c in failed if not condition_readable(c))
    return StatementTrace(kind, index, statement, level, action, resource, via, principal, failed, evaluated,
                          unreadable, policy.arn)


def _traces(kind: PolicyKind, policies: tuple[Policy, ...], request: Request, caller: Caller,
            level: str | None = None, bounded: bool = False) -> list[StatementTrace]:
    return [
        _trace(kind, index, level, policy, statement, request, caller, bounded)
        for index, policy in enumerate(policies)
        for statement in policy.statements
    ]


def _resource_policy_required(request: Request) -> bool:
    """Role trust policies and KMS key policies must allow; IAM alone cannot grant these.

    A KMS key is reached only through its key policy (an identity policy alone never grants access to a
    key); actions on aliases or on "*" (kms:ListKeys) have no key policy to consult.
    """
    action = request.action.lower()
    if action.startswith("sts:assumerole"):
        return True
    if not action.startswith("kms:") or request.wildcard_only_action:
        return False
    parts = split_arn(request.resource)
    return parts is not None and parts[5].startswith("key/")


def _allowing(traces: list[StatementTrace]) -> list[StatementTrace]:
    return [t for t in traces if t.applies and t.statement.effect == "Allow"]


def evaluate(policies: PolicySet, request: Request) -> Evaluation:
    """Decide ``request`` under ``policies``."""
    caller = parse_caller(request.principal)
    rule = overriding_rule(request, caller.kind != "anonymous")
    identity = _traces(PolicyKind.IDENTITY, policies.identity, request, caller)
    boundary = _traces(PolicyKind.BOUNDARY, policies.boundaries, request, caller) if policies.boundaries else []
    session = _traces(PolicyKind.SESSION, (policies.session,), request, caller) if policies.session else []
    resource = _traces(PolicyKind.RESOURCE, (policies.resource,), request, caller,
                       bounded=policies.boundaries is not None) if policies.resource else []
    vpce = _traces(PolicyKind.VPCE, policies.vpce, request, caller) if policies.vpce else []
    # SCPs limit the principals of member accounts; an anonymous request has none (RCPs still apply)
    scps = None if caller.kind == "anonymous" else policies.scps
    rcp_levels = [_traces(PolicyKind.RCP, lvl.policies, request, caller, lvl.identifier) for lvl in policies.rcps or ()]
    scp_levels = [_traces(PolicyKind.SCP, lvl.policies, request, caller, lvl.identifier) for lvl in scps or ()]
    all_traces = (*(t for level in rcp_levels for t in level), *(t for level in scp_levels for t in level),
                  *resource, *identity, *boundary, *session, *vpce)

    if rule is not None and rule.allows:
        return Evaluation(request, Decision.ALLOWED, (), (), all_traces, None, None, rule)
    denies = [t for t in all_traces if t.applies and t.statement.effect == "Deny"]
    if denies:
        kinds = tuple(dict.fromkeys(t.kind for t in denies))
        return _result(request, Decision.EXPLICIT_DENY, kinds, tuple(denies), all_traces, kinds[0], caller)

    blocked: list[PolicyKind] = []
    deciding: list[StatementTrace] = []
    for kind, levels in ((PolicyKind.RCP, rcp_levels), (PolicyKind.SCP, scp_levels)):
        for traces in levels:
            allows = _allowing(traces)
            if not allows and kind not in blocked:
                blocked.append(kind)
            deciding += allows

    resource_allows = _allowing(resource)
    identity_allows = _allowing(identity)
    vias = {t.principal_via for t in resource_allows}
    cross_account = (
        request.resource_account is not None and caller.account is not None
        and request.resource_account != caller.account
    )
    if caller.kind in ("service", "anonymous"):
        if not resource_allows:
            blocked.append(PolicyKind.RESOURCE)
        deciding += resource_allows
    else:
        # a web-identity/SAML caller has no identity-based policy: the trust policy alone decides
        direct = bool(vias & {"wildcard", "user", "session", "not-principal", "federated"})
        via_role = "role" in vias
        resource_needed = cross_account or _resource_policy_required(request)
        if resource_needed:
            if not resource_allows:
                blocked.append(PolicyKind.RESOURCE)
            # a direct grant in a trust/key policy of the same account needs no identity allow
            identity_needed = cross_account or not (direct or via_role)
        else:
            identity_needed = not (direct or via_role)
        # the account's root user has full access to its own account: no identity-based policy is needed
        if identity_needed and not identity_allows and caller.kind != "root":
            blocked.append(PolicyKind.IDENTITY)
        limited = not direct or cross_account
        boundary_allows, session_allows = _allowing(boundary), _allowing(session)
        if policies.boundaries is not None and limited and not boundary_allows:
            blocked.append(PolicyKind.BOUNDARY)
        if policies.session is not None and limited and not session_allows:
            blocked.append(PolicyKind.SESSION)
        deciding += resource_allows + identity_allows + boundary_allows + session_allows
    if policies.vpce is not None:
        vpce_allows = _allowing(vpce)
        for index in range(len(policies.vpce)):
            allows = [t for t in vpce_allows if t.policy_index == index]
            if not allows and PolicyKind.VPCE not in blocked:
                blocked.append(PolicyKind.VPCE)
            deciding += allows
    if rule is not None:
        return Evaluation(request, Decision.IMPLICIT_DENY, (), (), all_traces, None, None, rule)
    if blocked:
        ordered = tuple(k for k in _ORDER if k in blocked)
        return _result(request, Decision.IMPLICIT_DENY, ordered, (), all_traces, ordered[0], caller)
    return _result(request, Decision.ALLOWED, (), tuple(deciding), all_traces, None, caller)


# The order of AWS's evaluation flow; the first kind that blocks names the message.
_ORDER = (PolicyKind.RCP, PolicyKind.SCP, PolicyKind.RESOURCE, PolicyKind.IDENTITY, PolicyKind.BOUNDARY,
          PolicyKind.SESSION, PolicyKind.VPCE)


def _result(request: Request, decision: Decision, blocked: tuple[PolicyKind, ...],
            deciding: tuple[StatementTrace, ...], traces: tuple[StatementTrace, ...],
            reason: PolicyKind | None, caller: Caller) -> Evaluation:
    message = None
    if reason is not None and caller.kind != "service":
        denying = next((t.policy_arn for t in deciding if t.kind is reason), None)
        message = render_message(request, decision, reason, denying)
    return Evaluation(request, decision, blocked, deciding, traces, message, reason)
