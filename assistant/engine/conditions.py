"""Condition operators: parsing an operator name and deciding one condition against a request context.

Rules (IAM JSON policy reference, "Condition operators" and "multivalued context keys"): several
values of one key are ORed; a negated operator holds when no value matches; a missing key makes a
condition false, except for negated operators and ``...IfExists`` (true) and ``Null``;
``ForAllValues`` holds on a missing or empty key, ``ForAnyValue`` does not.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from assistant.engine.matching import LITERAL, arn_matches, glob_matches, substitute
from assistant.engine.model import Condition

__all__ = [
    "NEGATED",
    "OPERATOR_FAMILY",
    "Operator",
    "condition_holds",
    "parse_date",
    "parse_number",
    "parse_operator",
    "value_type_ok",
]

# base operator -> value family
OPERATOR_FAMILY: dict[str, str] = {
    **{op: "String" for op in ("StringEquals", "StringNotEquals", "StringEqualsIgnoreCase",
                               "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike")},
    **{op: "Numeric" for op in ("NumericEquals", "NumericNotEquals", "NumericLessThan",
                                "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals")},
    **{op: "Date" for op in ("DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals",
                             "DateGreaterThan", "DateGreaterThanEquals")},
    "Bool": "Bool",
    "BinaryEquals": "Binary",
    "IpAddress": "IPAddress",
    "NotIpAddress": "IPAddress",
    **{op: "ARN" for op in ("ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike")},
    "Null": "Null",
}

NEGATED = frozenset({"StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "NumericNotEquals",
                     "DateNotEquals", "NotIpAddress", "ArnNotEquals", "ArnNotLike"})

_POSITIVE = {"StringNotEquals": "StringEquals", "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
             "StringNotLike": "StringLike", "NumericNotEquals": "NumericEquals", "DateNotEquals": "DateEquals",
             "NotIpAddress": "IpAddress", "ArnNotEquals": "ArnEquals", "ArnNotLike": "ArnLike"}


@dataclass(frozen=True)
class Operator:
    """A parsed operator name: optional set prefix, base operator, ``IfExists`` suffix."""

    set_op: str | None  # "ForAllValues" | "ForAnyValue" | None
    base: str
    if_exists: bool

    @property
    def family(self) -> str:
        """Value family of the base operator (String, Numeric, Date, Bool, Binary, IPAddress, ARN, Null)."""
        return OPERATOR_FAMILY[self.base]

    @property
    def negated(self) -> bool:
        """True for the Not-operators, which hold when no value matches."""
        return self.base in NEGATED


def parse_operator(name: str) -> Operator | None:
    """Parse ``[ForAllValues:|ForAnyValue:]<Base>[IfExists]``; None when the name is not an operator."""
    set_op = None
    prefix, sep, rest = name.partition(":")
    if sep:
        if prefix not in ("ForAllValues", "ForAnyValue"):
            return None
        set_op, name = prefix, rest
    if_exists = name.endswith("IfExists") and name != "IfExists"
    base = name[: -len("IfExists")] if if_exists else name
    if base not in OPERATOR_FAMILY or (if_exists and base == "Null"):
        return None
    return Operator(set_op, base, if_exists)


def parse_number(text: str) -> float | None:
    """A Numeric operator value, or None."""
    try:
        return float(text)
    except ValueError:
        return None


def parse_date(text: str) -> float | None:
    """A Date operator value (ISO 8601 or epoch seconds) as epoch seconds, or None."""
    if text.lstrip("-").isdigit():
        try:
            return float(text)
        except ValueError:  # digits float() does not read, such as "²"
            return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _ip(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


def _binary(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def value_type_ok(family: str, value: str) -> bool:
    """Whether a policy value is well-formed for an operator family."""
    if family == "Numeric":
        return parse_number(value) is not None
    if family == "Date":
        return parse_date(value) is not None
    if family in ("Bool", "Null"):
        return value.lower() in ("true", "false")
    if family == "IPAddress":
        return _ip(value) is not None
    if family == "Binary":
        return _binary(value) is not None
    if family == "ARN":
        return value == "*" or value.startswith("arn:") or "${" in value
    return True


def _compare(cmp: str, left: float, right: float) -> bool:
    if cmp.endswith("LessThanEquals"):
        return left <= right
    if cmp.endswith("LessThan"):
        return left < right
    if cmp.endswith("GreaterThanEquals"):
        return left >= right
    if cmp.endswith("GreaterThan"):
        return left > right
    return left == right


def _numeric_match(base: str, parse: Callable[[str], float | None]) -> Callable[[str, str], bool]:
    def match(request_value: str, policy_value: str) -> bool:
        left, right = parse(request_value), parse(policy_value)
        return left is not None and right is not None and _compare(base, left, right)

    return match


def _ip_match(request_value: str, policy_value: str) -> bool:
    network = _ip(policy_value)
    try:
        address = ipaddress.ip_address(request_value.strip())
    except ValueError:
        return False
    return network is not None and address.version == network.version and address in network


def _matcher(base: str) -> Callable[[str, str], bool]:
    """``match(request_value, policy_value)`` for a positive base operator."""
    if base == "StringEquals":
        return lambda r, p: r == p
    if base == "StringEqualsIgnoreCase":
        return lambda r, p: r.casefold() == p.casefold()
    if base == "StringLike":
        return lambda r, p: glob_matches(p, r)
    if base.startswith("Numeric"):
        return _numeric_match(base, parse_number)
    if base.startswith("Date"):
        return _numeric_match(base, parse_date)
    if base == "Bool":
        return lambda r, p: r.lower() == p.lower()
    if base == "BinaryEquals":
        return lambda r, p: _binary(p) is not None and _binary(p) == _binary(r)
    if base == "IpAddress":
        return _ip_match
    return lambda r, p: arn_matches(p, r)  # ArnEquals / ArnLike behave alike


def condition_holds(
    condition: Condition, context: Mapping[str, tuple[str, ...]], variables: bool = True
) -> bool:
    """Decide one condition (one operator, one key) against the request context."""
    operator = parse_operator(condition.operator)
    if operator is None:
        return False  # an unknown operator never matches; validation reports it
    present = context.get(condition.key.lower())
    if operator.base == "Null":
        missing = not present
        return any((v.lower() == "true") == missing for v in condition.values)
    if not present:
        if operator.if_exists:
            return True
        if operator.set_op == "ForAllValues":
            return True
        if operator.set_op == "ForAnyValue":
            return False
        return operator.negated
    positive = _POSITIVE.get(operator.base, operator.base)
    resolved = (substitute(p, context) if variables else p for p in condition.values)
    keep_wildcards = positive in ("StringLike", "ArnEquals", "ArnLike")
    policy_values = [v if keep_wildcards else v.replace(LITERAL, "") for v in resolved if v is not None]
    match = _matcher(positive)

    def matches_any(request_value: str) -> bool:
        return any(match(request_value, p) for p in policy_values)

    if operator.set_op == "ForAllValues":
        return all(matches_any(r) != operator.negated for r in present)
    if operator.set_op == "ForAnyValue":
        return any(matches_any(r) != operator.negated for r in present)
    hit = any(matches_any(r) for r in present)
    return not hit if operator.negated else hit
