"""Service rules that decide a request whatever the policies say.

AWS documents a few behaviours that no policy can change: ``sts:GetCallerIdentity`` needs no
permission and ignores explicit denies; AWS managed policies, reserved roles (IAM Identity Center's
``aws-reserved`` path) and service-linked roles cannot be changed through IAM; AWS managed KMS
aliases (``alias/aws/…``) cannot be created, updated or deleted. Each rule is a value with its
reason in both languages, so the decision and its explanation come from one place.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.engine.model import Request

__all__ = ["ServiceRule", "overriding_rule"]


@dataclass(frozen=True)
class ServiceRule:
    """A documented service behaviour: ``allows`` or denies the request whatever the policies say."""

    code: str
    allows: bool
    reason: str
    reason_ja: str


_CALLER_IDENTITY = ServiceRule(
    "GET_CALLER_IDENTITY", True,
    "sts:GetCallerIdentity needs no permission: AWS allows it even when a policy denies it explicitly.",
    "sts:GetCallerIdentity には権限が不要で、ポリシーが明示的に拒否していても AWS は許可します。")
_MANAGED_POLICY = ServiceRule(
    "AWS_MANAGED_POLICY", False,
    "AWS managed policies (arn:aws:iam::aws:policy/…) belong to AWS: no one can create, version, tag or delete them.",
    "AWS 管理ポリシー (arn:aws:iam::aws:policy/…) は AWS のもので、"
    "誰も作成・バージョン追加・タグ付け・削除できません。")
_RESERVED_ROLE = ServiceRule(
    "RESERVED_ROLE", False,
    "Roles under the aws-reserved path and service-linked roles are managed by their AWS service and cannot be "
    "changed through IAM.",
    "aws-reserved パスのロールとサービスにリンクされたロールは AWS のサービスが管理しており、"
    "IAM からは変更できません。")
_MANAGED_ALIAS = ServiceRule(
    "AWS_MANAGED_KMS_ALIAS", False,
    "Aliases that begin with alias/aws/ are reserved for AWS managed keys: no one can create, update or delete them.",
    "alias/aws/ で始まるエイリアスは AWS マネージドキー用に予約されており、作成・更新・削除はできません。")

_POLICY_WRITES = frozenset({"createpolicy", "createpolicyversion", "deletepolicy", "deletepolicyversion",
                            "setdefaultpolicyversion", "tagpolicy", "untagpolicy"})
_ROLE_WRITES = frozenset({"attachrolepolicy", "createrole", "deleterole", "deleterolepermissionsboundary",
                          "deleterolepolicy", "detachrolepolicy", "putrolepermissionsboundary", "putrolepolicy",
                          "tagrole", "untagrole", "updateassumerolepolicy", "updaterole", "updateroledescription"})
# IAM lets you edit a service-linked role's description, nothing else about it
_DESCRIPTION_WRITES = frozenset({"updaterole", "updateroledescription"})
_ALIAS_WRITES = frozenset({"createalias", "deletealias", "updatealias"})


def _resource_part(arn: str) -> tuple[str, str] | None:
    """(account, resource) of an ARN, or None."""
    parts = arn.split(":", 5)
    return (parts[4], parts[5]) if len(parts) == 6 and parts[0] == "arn" else None


def _reserved_role(resource: str) -> bool:
    # service-linked roles live under /aws-service-role/; IAM Identity Center's under /aws-reserved/
    return resource.startswith(("role/aws-reserved/", "role/aws-service-role/"))


def overriding_rule(request: Request, authenticated: bool) -> ServiceRule | None:
    """The service rule that decides ``request`` regardless of policies, or None."""
    service, _, name = request.action.lower().partition(":")
    if service == "sts":
        return _CALLER_IDENTITY if name == "getcalleridentity" and authenticated else None
    parts = _resource_part(request.resource)
    if parts is None:
        return None
    account, resource = parts
    if service == "iam":
        if name in _POLICY_WRITES and account == "aws" and resource.startswith("policy/"):
            return _MANAGED_POLICY
        if name in _ROLE_WRITES and _reserved_role(resource) and not (
                name in _DESCRIPTION_WRITES and resource.startswith("role/aws-service-role/")):
            return _RESERVED_ROLE
    if service == "kms" and name in _ALIAS_WRITES and resource.lower().startswith("alias/aws/"):
        return _MANAGED_ALIAS
    return None
