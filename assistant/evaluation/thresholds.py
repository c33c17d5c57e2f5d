"""Quality gates from a config file (eval/thresholds.toml or .json): minimums, maximums, tolerances.

``eval`` exits 1 when a metric is below its minimum (or above its maximum), or was measured on fewer
questions than the gate needs (``[min_n]``: a one-question dataset proves nothing); ``eval compare``
exits 1 when a gated metric (one with a minimum or maximum) got worse by more than its tolerance. A
metric that was not measured (None) is reported as "not measured", never as holding.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import UsageError
from assistant.evaluation.summary import METRICS

__all__ = ["Thresholds", "Violation", "load_thresholds"]

_DEFAULT_TOLERANCE = 0.02
_DEFAULT_MIN_N = 1
_SECTIONS = ("min", "max", "min_n", "compare")


@dataclass(frozen=True)
class Violation:
    """One metric outside its bound."""

    metric: str
    value: float
    bound: float
    kind: str  # "min", "max", or "min_n" (measured on too few questions: ``value`` is n)

    def __str__(self) -> str:
        if self.kind == "min_n":
            return f"{self.metric} is measured on {self.value:g} questions; its gate needs at least {self.bound:g}"
        relation = "below the minimum" if self.kind == "min" else "above the maximum"
        return f"{self.metric} = {self.value:.4g} is {relation} {self.bound:.4g}"

    def to_json(self) -> dict[str, Any]:
        """The violation as JSON."""
        return {"metric": self.metric, "value": self.value, "bound": self.bound, "kind": self.kind,
                "message": str(self)}


@dataclass(frozen=True)
class Thresholds:
    """Bounds per metric and the tolerance of each for ``compare``."""

    minimum: Mapping[str, float] = field(default_factory=dict)
    maximum: Mapping[str, float] = field(default_factory=dict)
    default_tolerance: float = _DEFAULT_TOLERANCE
    tolerance: Mapping[str, float] = field(default_factory=dict)
    source: str | None = None
    min_n: Mapping[str, float] = field(default_factory=dict)  # per metric; "default" for the others

    @property
    def gated(self) -> tuple[str, ...]:
        """The metrics with a bound, in the order of ``METRICS``."""
        return tuple(m for m in METRICS if m in self.minimum or m in self.maximum)

    def tolerance_of(self, metric: str) -> float:
        """How much worse a gated metric may get before ``compare`` fails."""
        return self.tolerance.get(metric, self.default_tolerance)

    def min_n_of(self, metric: str) -> int:
        """How many questions a gated metric must be measured on."""
        return int(self.min_n.get(metric, self.min_n.get("default", _DEFAULT_MIN_N)))

    def check(self, metrics: Mapping[str, float | None], counts: Mapping[str, int] | None = None,
              ) -> tuple[list[Violation], list[str]]:
        """The violations, and the gated metrics that could not be checked (not measured)."""
        violations: list[Violation] = []
        skipped: list[str] = []
        for metric in self.gated:
            value = metrics.get(metric)
            if value is None:
                skipped.append(metric)
                continue
            n = (counts or {}).get(metric)
            if n is not None and n < self.min_n_of(metric):
                violations.append(Violation(metric, float(n), float(self.min_n_of(metric)), "min_n"))
            if metric in self.minimum and value < self.minimum[metric]:
                violations.append(Violation(metric, value, self.minimum[metric], "min"))
            if metric in self.maximum and value > self.maximum[metric]:
                violations.append(Violation(metric, value, self.maximum[metric], "max"))
        return violations, skipped

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> Thresholds:
        """The thresholds stored with a run (``to_json``); metrics unknown to this version are dropped."""
        compare = document.get("compare") or {}

        def known(table: Any) -> dict[str, float]:
            return {k: float(v) for k, v in (table or {}).items() if k in METRICS and isinstance(v, int | float)}

        min_n = {k: float(v) for k, v in (document.get("min_n") or {}).items()
                 if (k in METRICS or k == "default") and isinstance(v, int | float)}
        return cls(known(document.get("min")), known(document.get("max")),
                   float(compare.get("default_tolerance", _DEFAULT_TOLERANCE)), known(compare.get("tolerance")),
                   document.get("source"), min_n)

    def to_json(self) -> dict[str, Any]:
        """The thresholds as stored with a run."""
        return {"source": self.source, "min": dict(self.minimum), "max": dict(self.maximum),
                "min_n": dict(self.min_n),
                "compare": {"default_tolerance": self.default_tolerance, "tolerance": dict(self.tolerance)}}


def _bounds(table: Any, section: str, where: str, extra: tuple[str, ...] = ()) -> dict[str, float]:
    if not isinstance(table, dict):
        raise UsageError(f"{where}: [{section}] must be a table of metric = number")
    result: dict[str, float] = {}
    for metric, value in table.items():
        if metric not in METRICS and metric not in extra:
            raise UsageError(f"{where}: unknown metric '{metric}' in [{section}]",
                             hint=f"known metrics: {', '.join(METRICS)}")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise UsageError(f"{where}: [{section}] {metric} must be a number, got {value!r}")
        result[metric] = float(value)
    return result


def load_thresholds(path: Path) -> Thresholds:
    """Read a thresholds file (TOML or JSON); unknown sections or metrics are usage errors."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise UsageError(f"thresholds file not found: '{path}'") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read the thresholds file '{path}': {exc}") from exc
    try:
        data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"the thresholds file '{path}' is not valid {path.suffix.lstrip('.').upper()}: {exc}") \
            from exc
    if not isinstance(data, dict):
        raise UsageError(f"the thresholds file '{path}' must hold a table")
    unknown = [k for k in data if k not in _SECTIONS]
    if unknown:
        raise UsageError(f"{path}: unknown section '{unknown[0]}'", hint="sections: [min], [max], [min_n], [compare]")
    compare = data.get("compare", {})
    if not isinstance(compare, dict) or any(k not in ("default_tolerance", "tolerance") for k in compare):
        raise UsageError(f"{path}: [compare] takes default_tolerance and a [compare.tolerance] table")
    default = compare.get("default_tolerance", _DEFAULT_TOLERANCE)
    if isinstance(default, bool) or not isinstance(default, int | float) or default < 0:
        raise UsageError(f"{path}: compare.default_tolerance must be a number >= 0")
    return Thresholds(_bounds(data.get("min", {}), "min", str(path)), _bounds(data.get("max", {}), "max", str(path)),
                      float(default), _bounds(compare.get("tolerance", {}), "compare.tolerance", str(path)),
                      str(path), _bounds(data.get("min_n", {}), "min_n", str(path), ("default",)))
