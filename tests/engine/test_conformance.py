"""Conformance: every case in tests/engine/cases/*.jsonl (written from the AWS documentation) holds.

One runner over the glob; ids are ``file::id``; unknown keys fail the case, so a typo cannot
silently turn a case into a weaker one. Known gaps are listed with the reason (strict xfail).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.engine.cases import parse_case
from assistant.engine.evaluator import evaluate

CASES = Path(__file__).parent / "cases"
CASE_KEYS = {"id", "description", "ref", "expect", "identity_policies", "permission_boundaries", "session_policy",
             "resource_policy", "scps", "rcps", "vpc_endpoint_policies", "request"}
EXPECT_KEYS = {"decision", "blocked_by", "message", "warnings"}
KNOWN_GAPS: dict[str, str] = {}


def _cases() -> list:
    params = []
    for path in sorted(CASES.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            case = json.loads(line)
            case_id = f"{path.name}::{case.get('id', number)}"
            marks = [pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[case_id])] if case_id in KNOWN_GAPS else []
            params.append(pytest.param(case, id=case_id, marks=marks))
    return params


ALL_CASES = _cases()


def test_the_tables_hold_at_least_300_documented_cases():
    assert len(ALL_CASES) >= 300
    assert all(case.values[0].get("ref", "").startswith("https://") for case in ALL_CASES)


@pytest.mark.parametrize("case", ALL_CASES)
def test_case(case):
    assert set(case) <= CASE_KEYS, f"unknown keys {set(case) - CASE_KEYS}"
    assert set(case["expect"]) <= EXPECT_KEYS, f"unknown expect keys {set(case['expect']) - EXPECT_KEYS}"
    evaluation = evaluate(*parse_case(case))
    expect = case["expect"]
    assert evaluation.decision.value == expect["decision"], case["description"]
    if "blocked_by" in expect:
        assert {k.value for k in evaluation.blocked_by} == set(expect["blocked_by"]), case["description"]
    if "message" in expect:
        assert evaluation.message == expect["message"]
    if "warnings" in expect:  # conditions no decision may rest on (an unknown operator) are reported
        assert len(evaluation.warnings) == expect["warnings"], evaluation.warnings
