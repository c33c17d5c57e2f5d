"""No input can stall a worker: matching and reading take time linear in the input (or bounded by caps).

Each case once took seconds to minutes (a regex built from a wildcard pattern backtracked; runs of
blanks, "User:" and unclosed fences were rescanned). The limits below are generous for a loaded
2-core machine; the old code exceeded them by orders of magnitude.
"""

from __future__ import annotations

import json
import re
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.engine.checker import check_text
from assistant.engine.evaluator import PolicySet, evaluate
from assistant.engine.matching import LITERAL, arn_matches, glob_matches, substitute
from assistant.engine.messages import parse_denials
from assistant.engine.model import Decision, PolicyType, Request
from assistant.engine.reader import read_policies
from assistant.engine.validator import validate


def _seconds(run) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def _reference(pattern: str, value: str, ignore_case: bool) -> bool:
    """The old definition (a regex per pattern), fine for the short texts Hypothesis draws."""
    parts, chars = [], iter(pattern)
    for char in chars:
        parts.append(re.escape(next(chars, "")) if char == LITERAL else
                     ".*" if char == "*" else "." if char == "?" else re.escape(char))
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.fullmatch("".join(parts), value, flags) is not None


@given(pattern=st.text("ab*?:/" + LITERAL, max_size=12), value=st.text("abAB:/*?", max_size=12),
       ignore_case=st.booleans())
def test_the_glob_matcher_agrees_with_a_regular_expression(pattern, value, ignore_case):
    if ignore_case:
        value = value.lower()  # the reference and the matcher fold case the same way only for ASCII
    assert glob_matches(pattern, value, ignore_case) is _reference(pattern, value, ignore_case)


def _wildcard_policy(action: str = "ec2:Describe*", resource: str = "*") -> str:
    return json.dumps({"Version": "2012-10-17",
                       "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]})


def test_checking_any_star_question_pattern_up_to_200_characters_is_fast(catalog):
    texts = [_wildcard_policy("ec2:" + ("*?" * n)[:n] + "Z") for n in range(1, 201)]
    texts += [_wildcard_policy("s3:GetObject", "arn:aws:s3:::" + ("*?" * n)[:n] + "Z") for n in range(1, 201)]
    worst = 0.0
    for text in texts:
        started = time.perf_counter()
        check_text(text, PolicyType.IDENTITY, catalog)
        worst = max(worst, time.perf_counter() - started)
    assert worst < 1.0, f"worst check took {worst:.2f} s"


@pytest.mark.parametrize("pattern", ["*?" * 100 + "Z", "*a" * 100 + "Z", "?" * 200 + "*", "*" * 200 + "b"])
def test_matching_a_hostile_pattern_against_a_long_text_is_fast(pattern):
    text = "a" * 100_000
    assert _seconds(lambda: glob_matches(pattern, text)) < 1.0
    assert _seconds(lambda: arn_matches("arn:aws:s3:::" + pattern, "arn:aws:s3:::" + text)) < 1.0


def test_a_string_like_condition_against_a_long_value_is_fast():
    document = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
        "Condition": {"StringLike": {"aws:userid": "*?" * 100 + "Z"}}}]}
    policy, _ = validate(document, PolicyType.IDENTITY, _NoCatalog())
    assert policy is not None
    request = Request("arn:aws:iam::111122223333:user/alice", "s3:GetObject", "arn:aws:s3:::b/k",
                      {"aws:userid": ("a" * 100_000,)})
    took = _seconds(lambda: evaluate(PolicySet(identity=(policy,)), request))
    assert took < 1.0
    assert evaluate(PolicySet(identity=(policy,)), request).decision is Decision.IMPLICIT_DENY


def test_variables_without_a_closing_brace_are_read_in_one_pass():
    text = "arn:aws:s3:::b/" + "${" * 100_000
    assert _seconds(lambda: substitute(text, {})) < 1.0


@pytest.mark.parametrize(("name", "text"), [
    ("100 KB of spaces", "a" + " " * 100_000),
    ("1 MB of spaces", "a" + " " * 999_000),
    ("'User: ' x 20,000", "User: " * 20_000),
    ("'User:' x 20,000 without spaces", "User:" * 20_000),
    ("unclosed fences", "```json\n" * 20_000),
    ("unclosed fences with braces", "```json\n{\n" * 50_000),
    ("blank lines", " \n" * 100_000),
    ("open braces", "{" * 100_000),
    ("1 MB of open braces", "{" * 999_000),
    ("1 MB of unclosed fences", "```json\n{\n" * 99_000),
    ("open variables", '{"Statement": "${' * 20_000),
    ("comments in JSON", '{"Statement": /*' * 20_000),
    ("many small policies", '{"Effect": "Allow"} ' * 20_000),
])
def test_reading_hostile_text_is_fast(name, text, catalog):
    assert _seconds(lambda: parse_denials(text)) < 2.0, name
    assert _seconds(lambda: read_policies(text)) < 2.0, name
    assert _seconds(lambda: check_text(text, PolicyType.IDENTITY, catalog)) < 3.0, name


def test_a_long_resource_list_is_said_to_be_too_large_quickly(catalog):
    resources = [f"arn:aws:s3:::amzn-s3-demo-bucket/k{n}/*" for n in range(8_000)]
    text = _wildcard_policy("s3:GetObject", resources)  # type: ignore[arg-type]
    took = _seconds(lambda: check_text(text, PolicyType.IDENTITY, catalog))
    assert took < 2.0
    (result,) = check_text(text, PolicyType.IDENTITY, catalog)
    assert "POLICY_TOO_LARGE_TO_CHECK" in {f.code for f in result.findings}


def test_a_resource_of_a_thousand_characters_is_checked(catalog):
    """An S3 object key may have 1,024 bytes; the validator's overlap test once recursed per character."""
    (result,) = check_text(_wildcard_policy("s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/" + "k" * 1_000),
                           PolicyType.IDENTITY, catalog)
    assert result.valid


class _NoCatalog:
    """A catalog that knows nothing: validation of shape only."""

    def service_prefixes(self) -> frozenset[str]:
        return frozenset()

    def actions(self, prefix: str) -> None:
        return None

    def resource_arns(self, prefix: str, resource_type: str) -> tuple[str, ...]:
        return ()

    def condition_key_type(self, key: str) -> None:
        return None

    def condition_keys(self, prefix: str) -> tuple[str, ...]:
        return ()

    def rcp_supported(self, prefix: str) -> bool:
        return False


def test_a_long_condition_key_is_looked_up_in_the_catalog_quickly(catalog):
    """Key templates (``aws:RequestTag/${TagKey}``) are matched as globs, not regular expressions."""
    started = time.perf_counter()
    assert catalog.condition_key_type("aws:RequestTag/" + "a/" * 50_000) == "String"
    assert catalog.condition_key_type("s3:" + "x" * 100_000) is None
    assert time.perf_counter() - started < 1.0
