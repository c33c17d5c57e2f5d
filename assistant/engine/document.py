"""From a parsed JSON value to a ``Policy``: the document's shape, with shape problems as findings.

Lenient on purpose: the evaluator runs on whatever statements could be read (a statement with a
bad Effect neither allows nor denies), while every problem is reported with its JSON path.
"""

from __future__ import annotations

from typing import Any

from assistant.engine.checks import finding
from assistant.engine.model import Condition, Finding, Policy, Principal, Statement

__all__ = ["STATEMENT_ELEMENTS", "parse_policy"]

STATEMENT_ELEMENTS = frozenset({"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource",
                                "Principal", "NotPrincipal", "Condition"})
_PRINCIPAL_KEYS = frozenset({"AWS", "Service", "Federated", "CanonicalUser"})
_POLICY_ELEMENTS = frozenset({"Version", "Id", "Statement"})


def _strings(value: Any, element: str, path: str, found: list[Finding]) -> tuple[str, ...] | None:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        if not value:
            found.append(finding("EMPTY_VALUE", path, element=element))
        return tuple(value)
    found.append(finding("INVALID_VALUE_TYPE", path, element=element))
    return None


def _principal(value: Any, element: str, path: str, found: list[Finding]) -> Principal | None:
    if value == "*":
        return Principal(wildcard=True)
    if not isinstance(value, dict) or not value:
        found.append(finding("INVALID_PRINCIPAL", path, value=str(value)[:60],
                             detail='use "*" or an object such as {"AWS": "arn:aws:iam::123456789012:root"}',
                             detail_ja='"*" か {"AWS": "arn:aws:iam::123456789012:root"} のようなオブジェクトを'
                                       '書いてください'))
        return None
    entries = []
    for kind, raw in value.items():
        if kind not in _PRINCIPAL_KEYS:
            found.append(finding("INVALID_PRINCIPAL", f"{path}/{kind}", value=kind,
                                 detail="the keys of a principal are AWS, Service, Federated and CanonicalUser",
                                 detail_ja="Principal のキーは AWS、Service、Federated、CanonicalUser です"))
            continue
        values = _strings(raw, f"{element}/{kind}", f"{path}/{kind}", found)
        if values is not None:
            entries.append((kind, values))
    wildcard = any(kind == "AWS" and "*" in values for kind, values in entries)
    return Principal(wildcard=wildcard, entries=tuple(entries))


def _conditions(value: Any, path: str, found: list[Finding]) -> tuple[Condition, ...]:
    if not isinstance(value, dict):
        found.append(finding("INVALID_CONDITION_SHAPE", path))
        return ()
    conditions = []
    for operator, keys in value.items():
        if not isinstance(keys, dict):
            found.append(finding("INVALID_CONDITION_SHAPE", f"{path}/{operator}"))
            continue
        for key, raw in keys.items():
            key_path = f"{path}/{operator}/{key}"
            items = raw if isinstance(raw, list) else [raw]
            if not all(isinstance(v, str | bool | int | float) for v in items):
                found.append(finding("INVALID_CONDITION_SHAPE", key_path))
                continue
            if not items:
                found.append(finding("EMPTY_VALUE", key_path, element=f"Condition {operator} {key}"))
            values = tuple(str(v).lower() if isinstance(v, bool) else str(v) for v in items)
            conditions.append(Condition(operator, key, values, key_path))
    return tuple(conditions)


def _statement(raw: Any, index: int, path: str, found: list[Finding]) -> Statement | None:
    if not isinstance(raw, dict):
        found.append(finding("STATEMENT_NOT_OBJECT", path))
        return None
    for element in raw:
        if element not in STATEMENT_ELEMENTS:
            found.append(finding("UNKNOWN_STATEMENT_ELEMENT", f"{path}/{element}", element=element))
    effect = raw.get("Effect")
    if effect is None:
        found.append(finding("MISSING_EFFECT", path))
    elif effect not in ("Allow", "Deny"):
        hint = str(effect).capitalize() if str(effect).capitalize() in ("Allow", "Deny") else None
        found.append(finding("INVALID_EFFECT", f"{path}/Effect", hint=hint and f'write "{hint}"', value=effect))
    if "Action" in raw and "NotAction" in raw:
        found.append(finding("ACTION_AND_NOT_ACTION", path))
    elif "Action" not in raw and "NotAction" not in raw:
        found.append(finding("MISSING_ACTION", path))
    if "Resource" in raw and "NotResource" in raw:
        found.append(finding("RESOURCE_AND_NOT_RESOURCE", path))
    if "Principal" in raw and "NotPrincipal" in raw:
        found.append(finding("PRINCIPAL_AND_NOT_PRINCIPAL", path))
    sid = raw.get("Sid")
    lists = {
        name: _strings(raw[name], name, f"{path}/{name}", found) if name in raw else None
        for name in ("Action", "NotAction", "Resource", "NotResource")
    }
    principals = {
        name: _principal(raw[name], name, f"{path}/{name}", found) if name in raw else None
        for name in ("Principal", "NotPrincipal")
    }
    conditions = _conditions(raw["Condition"], f"{path}/Condition", found) if "Condition" in raw else ()
    return Statement(
        index=index,
        sid=sid if isinstance(sid, str) else None,
        effect=effect if isinstance(effect, str) else "",  # anything else never allows nor denies
        action=lists["Action"],
        not_action=lists["NotAction"],
        resource=lists["Resource"],
        not_resource=lists["NotResource"],
        principal=principals["Principal"],
        not_principal=principals["NotPrincipal"],
        conditions=conditions,
    )


def parse_policy(document: Any) -> tuple[Policy | None, list[Finding]]:
    """Read a JSON value as a policy; the policy is None only when the document is not an object."""
    found: list[Finding] = []
    if not isinstance(document, dict):
        return None, [finding("POLICY_NOT_OBJECT")]
    for element in document:
        if element not in _POLICY_ELEMENTS:
            found.append(finding("UNKNOWN_POLICY_ELEMENT", f"/{element}", element=element))
    version = document.get("Version")
    if version is None:
        found.append(finding("MISSING_VERSION"))
    elif version not in ("2012-10-17", "2008-10-17"):
        found.append(finding("INVALID_VERSION", "/Version", value=version))
    raw_statements = document.get("Statement")
    single = False
    if raw_statements is None:
        found.append(finding("MISSING_STATEMENT"))
        raw_statements = []
    elif isinstance(raw_statements, dict):
        raw_statements = [raw_statements]
        single = True
    elif isinstance(raw_statements, list):
        if not raw_statements:
            found.append(finding("EMPTY_STATEMENT", "/Statement"))
    else:
        found.append(finding("STATEMENT_NOT_OBJECT", "/Statement"))
        raw_statements = []
    statements = []
    for index, raw in enumerate(raw_statements):
        path = "/Statement" if single else f"/Statement/{index}"
        statement = _statement(raw, index, path, found)
        if statement is not None:
            statements.append(statement)
    policy_id = document.get("Id")
    return (
        Policy(tuple(statements), version if isinstance(version, str) else None,
               policy_id if isinstance(policy_id, str) else None),
        found,
    )
