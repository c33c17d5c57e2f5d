"""Over-permissive, judged by effect: which sensitive requests a suggested policy allows that were not asked for.

A list of finding codes misses ``iam:Create*`` on ``*``; evaluating does not. The sensitive set is
every write or permissions-management action of IAM, STS and Organizations (privilege escalation
lives there: ``CreateAccessKey``, ``CreatePolicyVersion``, ``UpdateAssumeRolePolicy``, ``PassRole``…)
and the core read/write/delete actions of the data services, each probed on a resource that belongs
to someone else (another user, role, bucket, table, key). A probe the candidate allows and the
original did not is exposure. A fix may widen the resource of a denied action itself (an MFA device
name is chosen freely), except for the privilege-escalation actions, which are probed regardless.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from assistant.engine.catalog import Catalog
from assistant.engine.document import parse_policy
from assistant.engine.evaluator import PolicySet, evaluate
from assistant.engine.matching import variables
from assistant.engine.model import Decision, Policy, Request

__all__ = ["ESCALATION_ACTIONS", "SENSITIVE_SERVICES", "Exposure", "exposure"]

SENSITIVE_SERVICES = ("iam", "sts", "organizations")
# Actions that let a principal give itself or others more access (IAM privilege escalation paths).
ESCALATION_ACTIONS = frozenset({
    "iam:createaccesskey", "iam:createloginprofile", "iam:updateloginprofile", "iam:createpolicyversion",
    "iam:setdefaultpolicyversion", "iam:updateassumerolepolicy", "iam:passrole", "iam:attachuserpolicy",
    "iam:attachgrouppolicy", "iam:attachrolepolicy", "iam:putuserpolicy", "iam:putgrouppolicy",
    "iam:putrolepolicy", "iam:addusertogroup", "iam:createrole", "iam:deleteuserpermissionsboundary",
    "iam:deleterolepermissionsboundary", "iam:putuserpermissionsboundary", "iam:putrolepermissionsboundary",
    "sts:assumerole",
})
# Data services: reading, changing and deleting what they hold.
_DATA_ACTIONS = ("s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:DeleteBucket", "s3:PutBucketPolicy",
                 "dynamodb:GetItem", "dynamodb:Scan", "dynamodb:PutItem", "dynamodb:DeleteTable", "kms:Decrypt",
                 "kms:ScheduleKeyDeletion", "secretsmanager:GetSecretValue", "ssm:GetParameter",
                 "rds:DeleteDBInstance", "ec2:TerminateInstances", "lambda:UpdateFunctionCode")
_SENSITIVE_LEVELS = ("Write", "Permissions management")
# Writes that touch no existing resource of anyone: a new virtual MFA device's name is chosen freely, and
# AWS's own self-service MFA example allows creating it on "mfa/*"
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_iam_mfa-selfmanage.html);
# decoding an authorization message reads the caller's own denial and grants no access
# (https://docs.aws.amazon.com/STS/latest/APIReference/API_DecodeAuthorizationMessage.html).
_HARMLESS = frozenset({"iam:createvirtualmfadevice", "sts:decodeauthorizationmessage"})
_OTHER = "kb-assistant-other"  # the name of a resource no question is about
_CALLER = "kb-assistant-caller"
_DEFAULT_ACCOUNT = "111122223333"


@dataclass(frozen=True)
class Exposure:
    """The sensitive requests (``action on resource``) a candidate allows beyond the original."""

    granted: tuple[str, ...]

    @property
    def over_permissive(self) -> bool:
        """True when the candidate allows any sensitive request the original did not."""
        return bool(self.granted)


def _fill(template: str, account: str) -> str:
    values = {"partition": "aws", "account": account, "region": "us-east-1"}
    pieces, position = [], 0
    for start, end, body in variables(template):
        pieces += [template[position:start], values.get(body.strip().lower(), _OTHER)]
        position = end
    return "".join(pieces) + template[position:]


def _probes(catalog: Catalog, account: str, denied_actions: frozenset[str]) -> list[tuple[str, str, bool]]:
    """(action, resource, wildcard-only) for every sensitive action, on another principal's resources."""
    names = [f"{service}:{info.name}" for service in SENSITIVE_SERVICES
             for info in (catalog.actions(service) or {}).values()
             if any(level in info.access_level for level in _SENSITIVE_LEVELS)]
    probes: list[tuple[str, str, bool]] = []
    for action in [*names, *_DATA_ACTIONS]:
        lowered = action.lower()
        if lowered in _HARMLESS or (lowered in denied_actions and lowered not in ESCALATION_ACTIONS):
            continue
        service, _, name = action.partition(":")
        info = (catalog.actions(service) or {}).get(name.lower())
        if info is None:
            continue
        if not info.resource_types:
            probes.append((action, "*", True))
            continue
        templates = {_fill(t, account) for rtype in info.resource_types
                     for t in catalog.resource_arns(service, rtype)}
        probes += [(action, resource, False) for resource in sorted(templates)]
    return probes


def _trusting(account: str) -> Policy | None:
    """A role trust policy that trusts the caller's account, so that identity policies decide AssumeRole."""
    policy, _ = parse_policy({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"}]})
    return policy


def exposure(original: PolicySet, candidate: PolicySet, denied: Sequence[Request], catalog: Catalog) -> Exposure:
    """Evaluate both policy sets over the sensitive probes; what only the candidate allows."""
    principal = denied[0].principal if denied else f"arn:aws:iam::{_DEFAULT_ACCOUNT}:user/{_CALLER}"
    parts = principal.split(":")
    account = parts[4] if len(parts) > 4 and parts[4].isdigit() else _DEFAULT_ACCOUNT
    context: Mapping[str, tuple[str, ...]] = denied[0].context if denied else {
        "aws:username": (_CALLER,), "aws:principalarn": (principal,), "aws:principalaccount": (account,),
        "aws:principaltype": ("User",), "aws:multifactorauthpresent": ("true",)}
    base = Request(principal, "", "", context, account)
    trust = _trusting(account)
    granted: list[str] = []
    for action, resource, wildcard_only in _probes(catalog, account, frozenset(r.action.lower() for r in denied)):
        probe = replace(base, action=action, resource=resource, wildcard_only_action=wildcard_only)
        before, after = original, candidate
        if action.lower().startswith("sts:assumerole"):
            before, after = replace(original, resource=trust), replace(candidate, resource=trust)
        if (evaluate(after, probe).decision is Decision.ALLOWED
                and evaluate(before, probe).decision is not Decision.ALLOWED):
            granted.append(probe.label)
    return Exposure(tuple(granted))
