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
from functools import lru_cache

from assistant.engine.matching import LITERAL, arn_matches, glob_matches, split_arn, substitute
from assistant.engine.model import Condition

__all__ = [
    "NEGATED",
    "OPERATOR_FAMILY",
    "Operator",
    "condition_holds",
    "condition_readable",
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


@lru_cache(maxsize=1024)  # pure: operator name -> its parts; bounded memoisation only
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


def _decimal(text: str) -> bool:
    """Digits with an optional sign and one decimal point: what IAM's numeric values are."""
    body = text[1:] if text[:1] in "+-" else text
    whole, _, fraction = body.partition(".")
    return bool(whole or fraction) and all(not part or (part.isascii() and part.isdigit())
                                           for part in (whole, fraction))


def parse_number(text: str) -> float | None:
    """A Numeric operator value, or None (``nan``, ``inf``, ``1_000`` and exponents are not IAM numbers)."""
    return float(text) if _decimal(text) else None


def parse_date(text: str) -> float | None:
    """A Date operator value (ISO 8601, or epoch seconds written as a number) as epoch seconds, or None."""
    if _decimal(text):
        return float(text)
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


def _ordered(base: str) -> Callable[[float, float], bool]:
    if base.endswith("LessThanEquals"):
        return lambda left, right: left <= right
    if base.endswith("LessThan"):
        return lambda left, right: left < right
    if base.endswith("GreaterThanEquals"):
        return lambda left, right: left >= right
    if base.endswith("GreaterThan"):
        return lambda left, right: left > right
    return lambda left, right: left == right


# compare(request_value, policy_value): True or False, or None when either value cannot be read for the
# operator (not a number, date, IP address or ARN): such a comparison never matches, negated or not.
_Compare = Callable[[str, str], bool | None]


def _parsed(parse: Callable[[str], float | None], order: Callable[[float, float], bool]) -> _Compare:
    def compare(request_value: str, policy_value: str) -> bool | None:
        left, right = parse(request_value), parse(policy_value)
        return None if left is None or right is None else order(left, right)

    return compare


def _ip_compare(request_value: str, policy_value: str) -> bool | None:
    network = _ip(policy_value)
    try:
        address = ipaddress.ip_address(request_value.strip())
    except ValueError:
        return None
    if network is None:
        return None
    return address.version == network.version and address in network


def _binary_compare(request_value: str, policy_value: str) -> bool | None:
    left, right = _binary(request_value), _binary(policy_value)
    return None if left is None or right is None else left == right


def _arn_compare(request_value: str, policy_value: str) -> bool | None:
    if split_arn(request_value) is None or (policy_value != "*" and split_arn(policy_value) is None):
        return None
    return arn_matches(policy_value, request_value)  # ArnEquals and ArnLike behave alike


def _comparer(base: str) -> _Compare:
    """``compare(request_value, policy_value)`` for a positive base operator."""
    if base == "StringEquals":
        return lambda r, p: r == p
    if base == "StringEqualsIgnoreCase":
        return lambda r, p: r.casefold() == p.casefold()
    if base == "StringLike":
        return lambda r, p: glob_matches(p, r)
    if base.startswith("Numeric"):
        return _parsed(parse_number, _ordered(base))
    if base.startswith("Date"):
        return _parsed(parse_date, _ordered(base))
    if base == "Bool":
        return lambda r, p: r.lower() == p.lower()
    if base == "BinaryEquals":
        return _binary_compare
    if base == "IpAddress":
        return _ip_compare
    return _arn_compare


def condition_readable(condition: Condition) -> bool:
    """False when the operator is unknown: AWS rejects such a policy, and no decision may rest on it."""
    return parse_operator(condition.operator) is not None


def condition_holds(
    condition: Condition, context: Mapping[str, tuple[str, ...]], variables: bool = True
) -> bool:
    """Decide one condition (one operator, one key) against the request context.

    An unknown operator never holds (``condition_readable`` tells the caller so). A single-valued
    operator on a key with several values in the request does not match: multivalued keys need
    ``ForAllValues`` / ``ForAnyValue``.
    """
    operator = parse_operator(condition.operator)
    if operator is None:
        return False
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
    if operator.set_op is None and len(present) > 1:
        return False
    positive = _POSITIVE.get(operator.base, operator.base)
    resolved = (substitute(p, context) if variables else p for p in condition.values)
    keep_wildcards = positive in ("StringLike", "ArnEquals", "ArnLike")
    policy_values = [v if keep_wildcards else v.replace(LITERAL, "") for v in resolved if v is not None]
    compare = _comparer(positive)

    def holds_for(request_value: str) -> bool:
        outcomes = [compare(request_value, p) for p in policy_values]
        if operator.negated:  # "not" holds only when every comparison could be made and none matched
            return all(outcome is False for outcome in outcomes)
        return any(outcomes)

    if operator.set_op == "ForAllValues":
        return all(holds_for(r) for r in present)
    return any(holds_for(r) for r in present)
