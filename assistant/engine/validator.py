"""Validating a policy in the style of IAM Access Analyzer: every problem becomes a finding.

Grammar and shape come from ``document``; this module adds the checks that need the policy type
(where Principal or Resource belong), the service catalog (actions, resource types, condition
keys), condition semantics, quotas, security warnings and redundancy suggestions.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import Any

from assistant.engine.catalog import Catalog
from assistant.engine.checks import finding
from assistant.engine.conditions import OPERATOR_FAMILY, parse_operator, value_type_ok
from assistant.engine.document import parse_policy
from assistant.engine.matching import arn_matches, glob_matches, has_wildcard, split_arn, variables
from assistant.engine.model import Finding, Policy, PolicyType, Statement

__all__ = ["MAX_POLICY_SIZE", "SizeQuota", "validate"]

# The largest policy document AWS accepts: a KMS key policy, 32 KB (AWS KMS quotas).
MAX_POLICY_SIZE = 32_768

_ACTION = re.compile(r"^[A-Za-z0-9-]+:[A-Za-z0-9*?-]+$")
_SID = re.compile(r"^[A-Za-z0-9]*$")
_ACCOUNT_SEGMENT = re.compile(r"^(|\d{12}|aws|(?=.*[*?])[*?\d]+|\$\{[^}]*\})$")
_TRUST_ACTIONS = ("sts:", "*")
_WIDE_VARIABLES = frozenset({"partition", "region", "account", "bucketname"})
_ALL_OPERATORS = sorted(
    [op for op in OPERATOR_FAMILY] + [op + "IfExists" for op in OPERATOR_FAMILY if op != "Null"]
)
_FAMILY_ACCEPTS = {
    "String": {"String", "ARN"},
    "ARN": {"ARN"},
    "Bool": {"Bool"},
    "Numeric": {"Numeric"},
    "Date": {"Date"},
    "IPAddress": {"IPAddress"},
    "Binary": {"String"},
}


class SizeQuota(StrEnum):
    """Policy size quotas (characters, whitespace not counted) from IAM and Organizations quotas."""

    MANAGED = "managed"
    USER_INLINE = "user-inline"
    GROUP_INLINE = "group-inline"
    ROLE_INLINE = "role-inline"
    TRUST = "trust"
    SESSION = "session"
    SCP = "scp"
    RCP = "rcp"

    @property
    def limit(self) -> int:
        """The quota in characters."""
        return {"managed": 6144, "user-inline": 2048, "group-inline": 5120, "role-inline": 10240,
                "trust": 2048, "session": 2048, "scp": 5120, "rcp": 5120}[self.value]


_DEFAULT_QUOTA = {PolicyType.IDENTITY: SizeQuota.MANAGED, PolicyType.TRUST: SizeQuota.TRUST,
                  PolicyType.SESSION: SizeQuota.SESSION,
                  PolicyType.SCP: SizeQuota.SCP, PolicyType.RCP: SizeQuota.RCP}


def _suggest(word: str, choices: Iterable[str]) -> str | None:
    options = list(choices)
    lowered = {c.lower(): c for c in options}
    close = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.75)
    return f"did you mean '{lowered[close[0]]}'?" if close else None


def _statement_path(policy_doc: Any, statement: Statement) -> str:
    return "/Statement" if isinstance(policy_doc.get("Statement"), dict) else f"/Statement/{statement.index}"


# Tokens of a pattern for the overlap test: a literal character, "?" (any one character), "*" (any
# run), and for template variables that name one ARN segment, SEG1 + SEGN: one or more characters
# that are neither "/" nor ":".
_ANY, _STAR, _SEG1, _SEGN = "\x01", "\x02", "\x03", "\x04"
_STARS = (_STAR, _SEGN)
_ONE = (_ANY, _SEG1)


def _replace_variables(text: str, replace: Callable[[str], str]) -> str:
    pieces, position = [], 0
    for start, end, body in variables(text):
        pieces += [text[position:start], replace(body)]
        position = end
    return "".join(pieces) + text[position:]


def _tokens(text: str, template: bool) -> str:
    def variable(body: str) -> str:
        return _SEG1 + _SEGN if template and body.lower() in _WIDE_VARIABLES else _STAR

    text = _replace_variables(text, variable)
    return text.replace("*", _STAR).replace("?", _ANY) if not template else text


def _char_fits(a: str, b: str) -> bool:
    if a == _SEG1 or b == _SEG1:
        other = b if a == _SEG1 else a
        return other in _ONE or other not in "/:"
    return a in (b, _ANY) or b == _ANY


def _overlap(left: str, right: str) -> bool:
    """Whether some string matches both token patterns (an intersection test over two globs).

    A search over pairs of positions with an explicit stack: O(len(left) x len(right)) states and no
    recursion, so a resource of any length (an S3 key may have 1,024 bytes) cannot exhaust the stack.
    """
    seen: set[tuple[int, int]] = set()
    stack = [(0, 0)]
    while stack:
        i, j = stack.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        a = left[i] if i < len(left) else None
        b = right[j] if j < len(right) else None
        if a is None and b is None:
            return True
        if a in _STARS:
            stack.append((i + 1, j))
            if b is not None and (a == _STAR or b in _STARS or _char_fits(_SEG1, b)):
                stack.append((i, j + 1))
        elif b in _STARS:
            stack.append((i, j + 1))
            if a is not None and (b == _STAR or _char_fits(_SEG1, a)):
                stack.append((i + 1, j))
        elif a is not None and b is not None and _char_fits(a, b):
            stack.append((i + 1, j + 1))
    return False


def _covers(wide: str, narrow: str, ignore_case: bool, action: bool) -> bool:
    """Whether every name ``narrow`` matches is matched by ``wide`` (exact for a plain ``narrow``)."""
    if has_wildcard(narrow):
        prefix = wide[:-1]
        if not wide.endswith("*") or has_wildcard(prefix):
            return wide == "*"
        return narrow.lower().startswith(prefix.lower()) if ignore_case else narrow.startswith(prefix)
    return glob_matches(wide, narrow, ignore_case) if action else arn_matches(wide, narrow)


def _could_match(pattern: str, template: str) -> bool:
    """Whether a Resource pattern and an ARN template can name the same resource."""
    if pattern == "*":
        return True
    left, right = split_arn(pattern), split_arn(template.replace("${Partition}", "aws"))
    if left is None or right is None:
        return False
    # segment by segment, as resources are matched: a wildcard never reaches across the first colons
    pairs = zip(left, right, strict=True)
    return all(_overlap(_tokens(p, template=False), _tokens(t, template=True)) for p, t in pairs)


class _Validator:
    def __init__(self, document: dict[str, Any], policy: Policy, policy_type: PolicyType, catalog: Catalog):
        self.document = document
        self.policy = policy
        self.type = policy_type
        self.catalog = catalog
        self.found: list[Finding] = []

    def add(self, code: str, path: str, hint: str | None = None, **fields: Any) -> None:
        self.found.append(finding(code, path, hint, **fields))

    def run(self) -> list[Finding]:
        sids: dict[str, int] = {}
        for statement in self.policy.statements:
            path = _statement_path(self.document, statement)
            raw = self.document["Statement"][statement.index] if path != "/Statement" else self.document["Statement"]
            self.placement(statement, raw, path)
            if statement.sid is not None:
                strict_sid = self.type in (PolicyType.IDENTITY, PolicyType.SCP, PolicyType.RCP, PolicyType.SESSION)
                if strict_sid and not _SID.match(statement.sid):
                    self.add("INVALID_SID", f"{path}/Sid", value=statement.sid)
                if statement.sid in sids and statement.sid:
                    self.add("DUPLICATE_SID", f"{path}/Sid", value=statement.sid)
                sids.setdefault(statement.sid, statement.index)
            self.actions(statement, path)
            self.resources(statement, path)
            self.conditions(statement, path)
            self.security(statement, path)
            self.redundancy(statement, path)
        self.duplicate_statements()
        self.variables()
        return self.found

    def placement(self, statement: Statement, raw: dict[str, Any], path: str) -> None:
        has_principal = "Principal" in raw or "NotPrincipal" in raw
        has_resource = "Resource" in raw or "NotResource" in raw
        kind = self.type.value
        if self.type in (PolicyType.IDENTITY, PolicyType.SESSION, PolicyType.SCP) and has_principal:
            element = "Principal" if "Principal" in raw else "NotPrincipal"
            self.add("PRINCIPAL_NOT_ALLOWED", f"{path}/{element}", element=element, policy_type=kind)
        if self.type in (PolicyType.RESOURCE, PolicyType.TRUST) and not has_principal:
            self.add("MISSING_PRINCIPAL", path, policy_type=kind)
        if self.type is PolicyType.TRUST:
            for element in ("Resource", "NotResource"):
                if element in raw:
                    self.add("RESOURCE_IN_TRUST_POLICY", f"{path}/{element}", element=element)
            for action in statement.action or ():
                if not action.lower().startswith(_TRUST_ACTIONS):
                    self.add("TRUST_POLICY_ACTION", f"{path}/Action", value=action)
        elif not has_resource:
            self.add("MISSING_RESOURCE", path)
        if self.type is PolicyType.RCP:
            full_access = statement.action == ("*",) and statement.resource == ("*",)
            if statement.effect == "Allow" and not full_access:
                self.add("RCP_ALLOW", f"{path}/Effect")
            if statement.principal is None or not statement.principal.wildcard:
                self.add("RCP_PRINCIPAL", path)
            for action in statement.action or ():
                service = action.split(":", 1)[0].lower()
                if action != "*" and not self.catalog.rcp_supported(service):
                    self.add("RCP_UNSUPPORTED_SERVICE", f"{path}/Action", service=service)

    def actions(self, statement: Statement, path: str) -> None:
        for element, patterns in (("Action", statement.action), ("NotAction", statement.not_action)):
            for index, action in enumerate(patterns or ()):
                where = f"{path}/{element}" + (f"/{index}" if isinstance(
                    self._raw(statement, element), list) else "")
                if action == "*":
                    continue
                if "${" in action:
                    self.add("VARIABLE_NOT_ALLOWED", where, element=element, value=action)
                    continue
                if not _ACTION.match(action):
                    self.add("INVALID_ACTION_FORMAT", where, value=action)
                    continue
                service, name = action.split(":", 1)
                known = self.catalog.actions(service)
                if known is None:
                    self.add("UNKNOWN_SERVICE", where, _suggest(service, self.catalog.service_prefixes()),
                             service=service)
                    continue
                if has_wildcard(name):
                    if not any(glob_matches(name, a.name, ignore_case=True) for a in known.values()):
                        self.add("ACTION_MATCHES_NOTHING", where, value=action, service=service)
                elif name.lower() not in known:
                    hint = _suggest(name, (a.name for a in known.values()))
                    self.add("UNKNOWN_ACTION", where, hint and hint.replace("'", f"'{service}:", 1),
                             value=action, service=service)

    def _raw(self, statement: Statement, element: str) -> Any:
        statements = self.document["Statement"]
        raw = statements if isinstance(statements, dict) else statements[statement.index]
        return raw.get(element)

    def resources(self, statement: Statement, path: str) -> None:
        patterns = statement.resource if statement.resource is not None else statement.not_resource
        element = "Resource" if statement.resource is not None else "NotResource"
        is_list = isinstance(self._raw(statement, element), list)
        valid: list[str] = []
        for index, resource in enumerate(patterns or ()):
            where = f"{path}/{element}" + (f"/{index}" if is_list else "")
            if resource == "*":
                valid.append(resource)
                continue
            # a variable's own colon is no separator
            parts = split_arn(_replace_variables(resource, lambda _: "${variable}"))
            if parts is None:
                self.add("INVALID_ARN", where, value=resource,
                         detail="an ARN has six parts, arn:partition:service:region:account:resource",
                         detail_ja="ARN は arn:partition:service:region:account:resource の 6 つの部分からなります")
                continue
            service, account = parts[2], parts[4]
            known_service = service.lower() in self.catalog.service_prefixes()
            if not has_wildcard(service) and "${" not in service and not known_service:
                self.add("INVALID_ARN", where, _suggest(service, self.catalog.service_prefixes()),
                         value=resource, detail=f"unknown service '{service}'",
                         detail_ja=f"サービス '{service}' は存在しません")
                continue
            if not _ACCOUNT_SEGMENT.match(account):
                self.add("INVALID_ARN", where, value=resource, detail=f"account '{account}' is not a 12-digit ID",
                         detail_ja=f"アカウント '{account}' が 12 桁の ID ではありません")
                continue
            if not parts[5]:
                self.add("INVALID_ARN", where, value=resource, detail="the resource part is empty",
                         detail_ja="リソースの部分が空です")
                continue
            valid.append(resource)
        if statement.resource is None or not valid or len(valid) != len(statement.resource):
            return
        for action in statement.action or ():
            if has_wildcard(action) or ":" not in action:
                continue
            service, name = action.split(":", 1)
            info = (self.catalog.actions(service) or {}).get(name.lower())
            if info is None:
                continue
            if not info.resource_types:
                if "*" not in valid:
                    self.add("WILDCARD_ONLY_ACTION", f"{path}/Resource", action=info and f"{service}:{info.name}")
                continue
            templates = [t for rtype in info.resource_types for t in self.catalog.resource_arns(service, rtype)]
            if templates and not any(_could_match(r, t) for r in valid for t in templates):
                example = min(templates, key=len).replace("${Partition}", "aws")
                self.add("RESOURCE_TYPE_MISMATCH", f"{path}/Resource", action=f"{service}:{info.name}",
                         types=", ".join(info.resource_types), example=example)

    def conditions(self, statement: Statement, path: str) -> None:
        null_keys = {c.key.lower() for c in statement.conditions if c.operator == "Null" and "false" in c.values}
        for condition in statement.conditions:
            operator = parse_operator(condition.operator)
            if operator is None:
                self.add("UNKNOWN_CONDITION_OPERATOR", condition.path.rsplit("/", 1)[0],
                         _suggest(condition.operator.split(":")[-1], _ALL_OPERATORS), value=condition.operator)
                continue
            key_type = self.catalog.condition_key_type(condition.key)
            if key_type is None:
                prefix = condition.key.split(":", 1)[0]
                self.add("UNKNOWN_CONDITION_KEY", condition.path,
                         _suggest(condition.key, self.catalog.condition_keys(prefix)), value=condition.key)
            for value in condition.values:
                if "${" not in value and not value_type_ok(operator.family, value):
                    self.add("CONDITION_VALUE_TYPE", condition.path, value=value, family=operator.family,
                             operator=condition.operator)
            if key_type is None or operator.family == "Null":
                continue
            multivalued = key_type.startswith("ArrayOf")
            base_type = key_type.removeprefix("ArrayOf")
            if base_type not in _FAMILY_ACCEPTS[operator.family]:
                self.add("OPERATOR_KEY_TYPE_MISMATCH", condition.path, operator=condition.operator,
                         family=operator.family, key=condition.key, key_type=key_type)
            if multivalued and operator.set_op is None:
                self.add("SINGLE_VALUE_OPERATOR_ON_MULTIVALUED_KEY", condition.path, key=condition.key,
                         operator=condition.operator)
            if not multivalued and operator.set_op is not None:
                self.add("SET_OPERATOR_ON_SINGLE_VALUED_KEY", condition.path, key=condition.key,
                         set_op=operator.set_op)
            if (operator.set_op == "ForAllValues" and statement.effect == "Allow"
                    and condition.key.lower() not in null_keys):
                self.add("FORALLVALUES_WITH_ALLOW", condition.path, key=condition.key)
            if condition.key.lower() == "aws:multifactorauthpresent" and operator.set_op is None:
                values = {v.lower() for v in condition.values}
                if statement.effect == "Deny" and operator.base == "Bool" and not operator.if_exists and \
                        values == {"false"}:
                    self.add("DENY_BOOL_MISSING_KEY", condition.path, key=condition.key)
                if statement.effect == "Allow" and operator.base == "Bool" and operator.if_exists and \
                        values == {"true"}:
                    self.add("ALLOW_IFEXISTS_MFA", condition.path, key=condition.key)

    def security(self, statement: Statement, path: str) -> None:
        if statement.effect != "Allow":
            return
        if statement.not_action is not None:
            self.add("ALLOW_WITH_NOT_ACTION", f"{path}/NotAction")
        if statement.not_resource is not None:
            self.add("ALLOW_WITH_NOT_RESOURCE", f"{path}/NotResource")
        if statement.not_principal is not None:
            self.add("ALLOW_WITH_NOT_PRINCIPAL", f"{path}/NotPrincipal")
        resources = statement.resource or ()
        if not statement.conditions and "*" in (statement.action or ()) and "*" in resources:
            self.add("ALLOW_ALL", path)
        elif "*" in resources and any(glob_matches(a, "iam:PassRole", ignore_case=True)
                                      for a in statement.action or ()):
            self.add("PASS_ROLE_WITH_STAR", f"{path}/Resource")
        if (self.type is PolicyType.RESOURCE and statement.principal is not None and statement.principal.wildcard
                and not statement.conditions):
            self.add("PUBLIC_PRINCIPAL", f"{path}/Principal")

    def redundancy(self, statement: Statement, path: str) -> None:
        for element, patterns, code, ignore_case in (
            ("Action", statement.action, "REDUNDANT_ACTION", True),
            ("Resource", statement.resource, "REDUNDANT_RESOURCE", False),
        ):
            items = list(patterns or ())
            for index, item in enumerate(items):
                for other_index, other in enumerate(items):
                    if other_index == index:
                        continue
                    same = item.lower() == other.lower() if ignore_case else item == other
                    covers = has_wildcard(other) and _covers(other, item, ignore_case, code == "REDUNDANT_ACTION")
                    if (same and other_index < index) or (covers and not same):
                        self.add(code, f"{path}/{element}/{index}", value=item, by=other)
                        break

    def duplicate_statements(self) -> None:
        seen: dict[tuple[Any, ...], int] = {}
        for statement in self.policy.statements:
            conditions = tuple((c.operator, c.key.lower(), c.values) for c in statement.conditions)
            key = (statement.effect, statement.action, statement.not_action, statement.resource,
                   statement.not_resource, statement.principal, statement.not_principal, conditions)
            if key in seen:
                self.add("REDUNDANT_STATEMENT", _statement_path(self.document, statement), index=statement.index + 1,
                         other=seen[key] + 1)  # numbered from 1 for people; the JSON path keeps 0-based indexes
            seen.setdefault(key, statement.index)

    def variables(self) -> None:
        names = []
        for statement in self.policy.statements:
            texts = list(statement.resource or ()) + list(statement.not_resource or ())
            texts += [v for c in statement.conditions for v in c.values]
            names += [(statement, body) for t in texts for _, _, body in variables(t)]
        if not names:
            return
        if not self.policy.supports_variables:
            self.add("OLD_VERSION_WITH_VARIABLES", "/Version", variable="${" + names[0][1] + "}",
                     version=self.policy.version or "(none)")
            return
        for statement, body in names:
            name = body.split(",", 1)[0].strip()
            if name in ("*", "?", "$") or self.catalog.condition_key_type(name) is not None:
                continue
            self.add("UNKNOWN_POLICY_VARIABLE", _statement_path(self.document, statement),
                     _suggest(name, self.catalog.condition_keys(name.split(":", 1)[0])), value="${" + name + "}")


def _size(text: str) -> int:
    return sum(1 for c in text if not c.isspace())


def validate(document: Any, policy_type: PolicyType, catalog: Catalog, text: str | None = None,
             quota: SizeQuota | None = None) -> tuple[Policy | None, list[Finding]]:
    """Every finding for one policy document; ``text`` (as written) is used for the size quota.

    A policy larger than any AWS accepts gets its structure checked and one finding, before any
    check whose cost grows with the square of a list's length.
    """
    policy, found = parse_policy(document)
    if policy is None:
        return None, found
    size = _size(text if text is not None else json.dumps(document, ensure_ascii=False))
    if size > MAX_POLICY_SIZE:
        return policy, [*found, finding("POLICY_TOO_LARGE_TO_CHECK", size=size, limit=MAX_POLICY_SIZE)]
    found += _Validator(document, policy, policy_type, catalog).run()
    quota = quota or _DEFAULT_QUOTA.get(policy_type)
    if quota is not None and text is not None and size > quota.limit:
        found.append(finding("POLICY_SIZE_EXCEEDED", size=size, kind=quota.value, limit=quota.limit))
    return policy, found
