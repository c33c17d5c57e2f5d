"""Property tests: reading, validating and evaluating never crash, and evaluation is deterministic.

Hypothesis builds policies of every shape (right and wrong element types, junk keys, unicode, deep
nesting), damages valid policy texts character by character, and draws requests against random
policy sets. Whatever the input, the engine answers with findings or a decision, never an exception.
The crashes found this way (fixed) are kept at the end as regression tests.
"""

from __future__ import annotations

import json
import string
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from assistant.adapters.iam_catalog import IamDataCatalog
from assistant.engine.checker import CheckedPolicy, check_text
from assistant.engine.checks import CHECKS
from assistant.engine.document import parse_policy
from assistant.engine.evaluator import Evaluation, OrgLevel, PolicySet, evaluate
from assistant.engine.jsontext import MAX_DEPTH
from assistant.engine.model import Decision, Policy, PolicyKind, PolicyType, Request, Severity
from assistant.engine.reader import MAX_INPUT_CHARS, read_policies
from assistant.engine.validator import validate

# The conftest's autouse environment fixture is function-scoped; it needs no reset between examples.
PROPERTY = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
FEW = settings(PROPERTY, max_examples=60)

CATALOG = IamDataCatalog()  # one shared, read-only catalog (module-level: @given tests run it many times)


# ---------------------------------------------------------------------------------------------------------
# Strategies

FRAGMENTS = [
    "", "*", "?", ":", "/", "${", "}", "${aws:username}", "${aws:PrincipalTag/team}", "${*}", "${aws:nope}",
    "arn:", "arn:aws:", "arn:aws:s3:::amzn-s3-demo-bucket", "arn:aws:s3:::amzn-s3-demo-bucket/*",
    "arn:aws:iam::*:mfa/*", "arn:aws:iam::123456789012:user/IAM-MFA", "arn:aws:iam123456789012:mfa/",
    "iam:ListVirtualMFADevices", "iam:ListVirtualMFADevice", "iam:*", "s3:Get*", "s3:*Object", "sts:AssumeRole",
    "2012-10-17", "2008-10-17", "true", "false", "TRUE", "10.0.0.0/8", "2001:db8::/32", "203.0.113.300",
    "2020-01-01T00:00:00Z", "1700000000", "3600", "-1", "1e3", "dGVzdA==", "Allow", "Deny", "aws:SourceIp",
    "ap-northeast-1", "←", "追加", "“", "”", "｛", "\u3000", "\\", "\"", "\n", "é", "😀",
]
ACTIONS = ["*", "iam:ListUsers", "iam:ListVirtualMFADevices", "iam:ListVirtualMFADevice", "iam:CreateVirtualMFADevice",
           "iam:*", "iam:PassRole", "s3:GetObject", "s3:ListBucket", "s3:*", "s3:Get*", "s3:Foo*", "s4:GetObject",
           "ListBucket", "s3:${aws:username}", "sts:AssumeRole", "kms:Decrypt", "ec2:DescribeInstances",
           "IAM:listusers"]
RESOURCES = ["*", "arn:aws:s3:::amzn-s3-demo-bucket", "arn:aws:s3:::amzn-s3-demo-bucket/*",
             "arn:aws:iam::*:mfa/*", "arn:aws:iam::*:user/${aws:username}", "arn:aws:iam::*:mfa/${aws:username}",
             "arn:aws:iam123456789012:mfa/", "arn:aws:iam::123456789012:role/r",
             "arn:aws:kms:us-east-1:123456789012:key/k",
             "arn:aws:s3:::b/${aws:PrincipalTag/team}/*", "s3://bucket", "arn:aws:s4:::b", "arn:aws:iam::12:user/x"]
OPERATORS = ["StringEquals", "StringNotEquals", "StringLike", "StringNotLike", "StringEqualsIgnoreCase",
             "NumericLessThan", "NumericGreaterThanEquals", "DateGreaterThan", "DateLessThanEquals", "Bool",
             "BoolIfExists", "IpAddress", "NotIpAddress", "ArnLike", "ArnNotEquals", "Null", "BinaryEquals",
             "ForAllValues:StringEquals", "ForAnyValue:StringLike", "ForAllValues:StringNotEqualsIfExists",
             "ForAnyValue:Bool", "StringEqual", "NullIfExists", "IfExists", "ForAllValue:StringEquals"]
CONDITION_KEYS = ["aws:MultiFactorAuthPresent", "aws:multifactorauthpresent", "aws:SourceIp", "aws:CurrentTime",
                  "aws:TagKeys", "aws:RequestedRegion", "aws:PrincipalArn", "aws:username", "aws:MultiFactorAuthAge",
                  "aws:ResourceTag/team", "aws:RequestTag/${TagKey}", "s3:prefix", "s3:max-keys", "iam:PassedToService",
                  "aws:RequestRegion", "nosuch:key", "noprefix", "SAML:aud", ":", ""]

safe_text = st.text(alphabet=st.characters(), max_size=12)
strings = st.one_of(
    st.sampled_from(FRAGMENTS),
    safe_text,
    st.lists(st.sampled_from(FRAGMENTS) | safe_text, min_size=1, max_size=4).map("".join),
)
scalars = st.one_of(st.none(), st.booleans(), st.integers(-(10**9), 10**9),
                    st.floats(allow_nan=False, allow_infinity=False), strings)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(strings, inner, max_size=3), max_leaves=8
)


def one_or_many(items: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    """A string, a list of strings, or (sometimes) any JSON value at all."""
    return st.one_of(items, st.lists(items, max_size=4), json_values)


actions = st.sampled_from(ACTIONS) | strings
resources = st.sampled_from(RESOURCES) | strings
condition_values = st.one_of(strings, st.booleans(), st.integers(-5, 10**6),
                             st.lists(strings | st.booleans(), max_size=3), json_values)
conditions = st.one_of(
    st.dictionaries(st.sampled_from(OPERATORS) | strings,
                    st.dictionaries(st.sampled_from(CONDITION_KEYS) | strings, condition_values, max_size=3)
                    | json_values, max_size=3),
    json_values,
)
principals = st.one_of(
    st.just("*"),
    st.dictionaries(st.sampled_from(["AWS", "Service", "Federated", "CanonicalUser", "Services"]) | strings,
                    one_or_many(st.sampled_from(["*", "123456789012", "arn:aws:iam::123456789012:root",
                                                 "arn:aws:iam::123456789012:user/alice", "ec2.amazonaws.com"])
                                | strings), max_size=3),
    json_values,
)
statements = st.fixed_dictionaries({}, optional={
    "Sid": st.sampled_from(["One", "Allow-List", "", "一覧"]) | json_values,
    "Effect": st.sampled_from(["Allow", "Deny", "allow", "Permit"]) | json_values,
    "Action": one_or_many(actions),
    "NotAction": one_or_many(actions),
    "Resource": one_or_many(resources),
    "NotResource": one_or_many(resources),
    "Principal": principals,
    "NotPrincipal": principals,
    "Condition": conditions,
    "Actions": json_values,
})
policies = st.fixed_dictionaries({}, optional={
    "Version": st.sampled_from(["2012-10-17", "2008-10-17", "2012-10-18"]) | json_values,
    "Id": json_values,
    "Statement": st.one_of(st.lists(statements | json_values, max_size=4), statements, json_values),
    "Statements": json_values,
})
documents = st.one_of(policies, policies, json_values)
policy_types = st.sampled_from(list(PolicyType))

# Valid policy texts that mutations start from (AWS documentation examples and the seed's quick fix).
BASES = [
    '{"Version": "2012-10-17", "Statement": [{"Sid": "AllowListActions", "Effect": "Allow", "Action": '
    '["iam:ListUsers", "iam:ListVirtualMFADevices"], "Resource": "*"}, {"Sid": "AllowUserToCreateVirtualMFADevice", '
    '"Effect": "Allow", "Action": ["iam:CreateVirtualMFADevice"], "Resource": "arn:aws:iam::*:mfa/*"}, '
    '{"Sid": "BlockMostAccessUnlessSignedInWithMFA", "Effect": "Deny", "NotAction": ["iam:CreateVirtualMFADevice", '
    '"iam:ListVirtualMFADevices"], "Resource": "*", "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": '
    '"false"}}}]}',
    '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Sid": "ListObjectsInBucket", "Effect": "Allow", '
    '"Action": ["s3:ListBucket"], "Resource": ["arn:aws:s3:::amzn-s3-demo-bucket"]},\n    {"Sid": "AllObjectActions", '
    '"Effect": "Allow", "Action": "s3:*Object", "Resource": ["arn:aws:s3:::amzn-s3-demo-bucket/*"]}\n  ]\n}',
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, '
    '"Action": "sts:AssumeRole"}]}',
    '{"Version": "2012-10-17", "Statement": [{"Sid": "DenyAllOutsideEU", "Effect": "Deny", "NotAction": ["iam:*", '
    '"organizations:*", "sts:*"], "Resource": "*", "Condition": {"StringNotEquals": {"aws:RequestedRegion": '
    '["eu-central-1", "eu-west-1"]}, "NotIpAddress": {"aws:SourceIp": "192.0.2.0/24"}, "DateGreaterThan": '
    '{"aws:CurrentTime": "2020-04-01T00:00:00Z"}}}]}',
    '修正例です:\n```json\n{ "Version": "2012-10-17", "Statement": [ { "Effect": "Allow", "Action": '
    '[ "iam:CreateVirtualMFADevice" ], "Resource": [ "arn:aws:iam::*:user/${aws:username}", '
    '"arn:aws:iam::*:mfa/*" ← 追加 ] } ] }\n```\nよろしくお願いします',
]
INSERTABLE = [*'{}[]":,*?$/\\ \n\t#', "“", "”", "｛", "｝", "\u3000", "：", "，", "←", "//", "/*", "*/", "é", "😀",
              "```", "null", "true", "-", "1", "${"]


@st.composite
def mutated_texts(draw: st.DrawFn) -> str:
    """A valid policy text with a few characters deleted, duplicated, replaced or inserted."""
    text = draw(st.sampled_from(BASES))
    for _ in range(draw(st.integers(1, 4))):
        if not text:
            break
        start = draw(st.integers(0, len(text) - 1))
        end = min(len(text), start + draw(st.integers(1, 8)))
        kind = draw(st.sampled_from(["delete", "duplicate", "replace", "insert", "swap"]))
        piece = draw(st.sampled_from(INSERTABLE))
        if kind == "delete":
            text = text[:start] + text[end:]
        elif kind == "duplicate":
            text = text[:end] + text[start:end] + text[end:]
        elif kind == "replace":
            text = text[:start] + piece + text[start + 1:]
        elif kind == "insert":
            text = text[:start] + piece + text[start:]
        else:
            text = text[:start] + text[start:end][::-1] + text[end:]
    return text


TOKENS = ["{", "}", "[", "]", '"', ":", ",", " ", "\n", '"Version"', '"Statement"', '"Effect"', '"Allow"',
          '"2012-10-17"', '"iam:ListUsers"', '"*"', "“", "”", "｛", "｝", "\u3000", "//", "/*", "*/", "#", "←",
          "```json\n", "```\n", "true", "null", "12", "-", "質問", "[質問]", "\\", "'"]
token_soup = st.lists(st.sampled_from(TOKENS), max_size=60).map("".join)
any_text = st.one_of(st.text(alphabet=st.characters(), max_size=200), token_soup)


def _dumps(document: Any, indent: int | None = None, ascii_only: bool = False) -> str:
    """JSON text of a document, with non-ASCII characters escaped (surrogate pairs included) or as is."""
    return json.dumps(document, indent=indent, ensure_ascii=ascii_only)


# ---------------------------------------------------------------------------------------------------------
# What every result must look like


def _assert_sane(results: tuple[CheckedPolicy, ...], text: str) -> None:
    assert isinstance(results, tuple) and results
    for result in results:
        assert isinstance(result, CheckedPolicy)
        assert result.valid == (not any(f.severity is Severity.ERROR for f in result.findings))
        if result.value is None and result.policy is None:
            assert not result.valid  # when nothing could be read, the result is never valid
        for item in (*result.findings, *result.repaired_findings):
            assert item.code in CHECKS and item.severity is CHECKS[item.code][0]
            assert item.message and item.message_ja
        for item in result.findings:
            assert item.line is not None and item.column is not None
            assert 1 <= item.line <= text.count("\n") + 1 and item.column >= 1
        if any(f.code == "INVALID_JSON" for f in result.findings):
            assert result.value is None and result.policy is None and not result.valid


# ---------------------------------------------------------------------------------------------------------
# Reading and validation never crash


@PROPERTY
@given(document=documents, policy_type=policy_types)
def test_parse_policy_and_validate_never_crash(document, policy_type):
    policy, found = parse_policy(document)
    assert (policy is None) == (not isinstance(document, dict))
    assert all(f.code in CHECKS for f in found)
    policy, found = validate(document, policy_type, CATALOG, json.dumps(document))
    assert (policy is None) == (not isinstance(document, dict))
    assert all(f.code in CHECKS and f.severity is CHECKS[f.code][0] for f in found)


@PROPERTY
@given(document=documents, policy_type=policy_types, indent=st.sampled_from([None, 2]), ascii_only=st.booleans())
def test_check_text_of_generated_policies_never_crashes(document, policy_type, indent, ascii_only):
    text = _dumps(document, indent, ascii_only)
    _assert_sane(check_text(text, policy_type, CATALOG), text)


@PROPERTY
@given(document=policies, ascii_only=st.booleans())
def test_a_json_object_as_written_is_read_as_exactly_that_object(document, ascii_only):
    text = _dumps(document, 2, ascii_only)
    (read,) = read_policies(text)
    assert read.valid_json and read.value == document and read.repaired_value is None


@PROPERTY
@given(document=policies, policy_type=policy_types)
def test_layout_does_not_change_the_findings(document, policy_type):
    compact = check_text(_dumps(document, ascii_only=True), policy_type, CATALOG)
    pretty = check_text(_dumps(document, 4, ascii_only=True), policy_type, CATALOG)
    assert [sorted((f.code, f.path) for f in r.findings) for r in compact] == \
        [sorted((f.code, f.path) for f in r.findings) for r in pretty]


@PROPERTY
@given(text=any_text, policy_type=policy_types)
def test_reader_and_check_text_never_crash_on_any_text(text, policy_type):
    for document in read_policies(text):
        assert document.text in text
        assert document.valid_json or document.value is None
    _assert_sane(check_text(text, policy_type, CATALOG), text)


@PROPERTY
@given(text=mutated_texts(), policy_type=policy_types)
def test_damaged_policy_texts_never_crash(text, policy_type):
    _assert_sane(check_text(text, policy_type, CATALOG), text)


@FEW
@given(depth=st.integers(1, 400), opener=st.sampled_from(["[", '{"a": ', '{"Statement": ']))
def test_deep_nesting_is_a_finding(depth, opener):
    closer = "]" if opener == "[" else "}"
    inner = opener * depth + '"*"' + closer * depth
    text = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": ' \
        + inner + "}]}"
    results = check_text(text, PolicyType.IDENTITY, CATALOG)
    _assert_sane(results, text)
    codes = {f.code for r in results for f in r.findings}
    assert ("NESTING_TOO_DEEP" in codes) == (depth + 3 > MAX_DEPTH)


def test_ten_megabytes_is_a_finding_not_an_exception():
    text = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", '
            '"Resource": "*"}]}\n') * 100_000
    assert len(text) > 10 * MAX_INPUT_CHARS
    results = check_text(text, PolicyType.IDENTITY, CATALOG)
    assert "INPUT_TOO_LARGE" in {f.code for r in results for f in r.findings}
    assert not any(r.valid for r in results)


@pytest.mark.parametrize("text", ["[" * 10_000 + "]" * 10_000, '{"a":' * 10_000 + "1" + "}" * 10_000,
                                  "Policy: " + '{"Statement": ' * 10_000 + "{}" + "}" * 10_000],
                         ids=["brackets", "objects", "objects-in-chat"])
def test_ten_thousand_nested_brackets_is_a_finding_not_an_exception(text):
    results = check_text(text, PolicyType.IDENTITY, CATALOG)
    assert "NESTING_TOO_DEEP" in {f.code for r in results for f in r.findings}
    assert not any(r.valid for r in results)


# ---------------------------------------------------------------------------------------------------------
# Evaluation never crashes and is deterministic

PRINCIPALS = ["arn:aws:iam::123456789012:user/IAM-MFA", "arn:aws:iam::123456789012:role/app",
              "arn:aws:sts::123456789012:assumed-role/app/session", "arn:aws:iam::111122223333:root",
              "arn:aws:iam::123456789012:federated-user/bob", "lambda.amazonaws.com", "anonymous", "", "*",
              "arn:aws:iam::123:", "arn:aws:iam123456789012:user/x"]
REQUEST_RESOURCES = ["arn:aws:iam::123456789012:mfa/", "arn:aws:iam::123456789012:mfa/Test",
                     "arn:aws:s3:::amzn-s3-demo-bucket", "arn:aws:s3:::amzn-s3-demo-bucket/key", "*", "",
                     "arn:aws:iam::123456789012:role/app", "arn:aws:kms:us-east-1:123456789012:key/k"]
CONTEXT_KEYS = [k.lower() for k in CONDITION_KEYS if k] + ["aws:username", "aws:principalaccount"]

# A map, not a filter: a rejected draw makes Hypothesis log the strategy's repr, tens of kB here.
parsed_policies = documents.map(lambda d: parse_policy(d)[0] or Policy(()))
policy_tuples = st.lists(parsed_policies, max_size=2).map(tuple)


# Composite strategies rather than st.builds: builds() renders every argument's repr, tens of kB here.
@st.composite
def org_levels(draw: st.DrawFn) -> tuple[OrgLevel, ...]:
    """Zero to two organization levels, each with zero to two policies."""
    count = draw(st.integers(0, 2))
    return tuple(OrgLevel(draw(st.sampled_from(["r-root", "ou-1", "111122223333"])), draw(policy_tuples))
                 for _ in range(count))


@st.composite
def policy_sets(draw: st.DrawFn) -> PolicySet:
    """Any combination of the policy kinds of one request."""
    return PolicySet(
        identity=draw(policy_tuples),
        boundaries=draw(st.none() | policy_tuples),
        session=draw(st.none() | parsed_policies),
        resource=draw(st.none() | parsed_policies),
        scps=draw(st.none() | org_levels()),
        rcps=draw(st.none() | org_levels()),
        vpce=draw(st.none() | policy_tuples),
    )


@st.composite
def requests(draw: st.DrawFn) -> Request:
    """A request from known and random principals, actions, resources and context."""
    return Request(
        principal=draw(st.sampled_from(PRINCIPALS) | strings),
        action=draw(st.sampled_from(ACTIONS) | strings),
        resource=draw(st.sampled_from(REQUEST_RESOURCES) | strings),
        context=draw(st.dictionaries(st.sampled_from(CONTEXT_KEYS) | strings.map(str.lower),
                                     st.lists(strings, max_size=3).map(tuple), max_size=4)),
        resource_account=draw(st.none() | st.sampled_from(["123456789012", "111122223333"])),
        wildcard_only_action=draw(st.booleans()),
    )


def _assert_decision_is_well_formed(evaluation: Evaluation) -> None:
    assert isinstance(evaluation.decision, Decision)
    assert all(isinstance(kind, PolicyKind) for kind in evaluation.blocked_by)
    assert (evaluation.decision is Decision.ALLOWED) == (evaluation.blocked_by == ())
    if evaluation.decision is Decision.ALLOWED:
        assert evaluation.message is None
    if evaluation.decision is Decision.EXPLICIT_DENY:
        assert evaluation.deciding and all(t.effect == "Deny" and t.applies for t in evaluation.deciding)


@PROPERTY
@given(policy_set=policy_sets(), request=requests())
def test_evaluation_never_crashes_and_is_deterministic(policy_set, request):
    first = evaluate(policy_set, request)
    second = evaluate(policy_set, request)
    assert (first.decision, first.blocked_by, first.message) == (second.decision, second.blocked_by, second.message)
    assert first == second
    _assert_decision_is_well_formed(first)


def _deny_all() -> Policy:
    policy, _ = parse_policy({"Version": "2012-10-17",
                              "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]})
    assert policy is not None
    return policy


@PROPERTY
@given(policy_set=policy_sets(), request=requests())
def test_an_identity_deny_of_everything_always_wins(policy_set, request):
    assume(request.action)
    denied = PolicySet((*policy_set.identity, _deny_all()), policy_set.boundaries, policy_set.session,
                       policy_set.resource, policy_set.scps, policy_set.rcps, policy_set.vpce)
    evaluation = evaluate(denied, request)
    assert evaluation.decision is Decision.EXPLICIT_DENY
    assert PolicyKind.IDENTITY in evaluation.blocked_by


@PROPERTY
@given(document=policies, request=requests())
def test_evaluating_a_policy_read_from_text_equals_evaluating_the_value(document, request):
    (checked,) = check_text(_dumps(document, ascii_only=True), PolicyType.IDENTITY, CATALOG)
    assert checked.policy is not None
    from_text = evaluate(PolicySet(identity=(checked.policy,)), request)
    from_value = evaluate(PolicySet(identity=(parse_policy(document)[0],)), request)
    assert (from_text.decision, from_text.blocked_by, from_text.message) == \
        (from_value.decision, from_value.blocked_by, from_value.message)


# ---------------------------------------------------------------------------------------------------------
# Crashes these properties found once (fixed); kept as regression tests


def _with_condition(operator: str, key: str, value: Any) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {operator: {key: value}}}]})


@pytest.mark.parametrize("value", ["--1", "²"])
def test_a_malformed_date_value_is_a_finding(value):
    (result,) = check_text(_with_condition("DateGreaterThan", "aws:CurrentTime", value), PolicyType.IDENTITY, CATALOG)
    assert "CONDITION_VALUE_TYPE" in {f.code for f in result.findings}


def test_a_malformed_date_in_the_request_context_does_not_match():
    policy = parse_policy(json.loads(_with_condition("DateGreaterThan", "aws:CurrentTime", "2020-01-01T00:00:00Z")))[0]
    assert policy is not None
    request = Request("arn:aws:iam::123456789012:user/IAM-MFA", "s3:GetObject", "arn:aws:s3:::b/k",
                      {"aws:currenttime": ("²",)})
    assert evaluate(PolicySet(identity=(policy,)), request).decision is Decision.IMPLICIT_DENY


@pytest.mark.parametrize("key", ["a\x00b:c", "\ud83d:key", "x" * 300 + ":y", "../actions/s3:foo"],
                         ids=["nul", "lone-surrogate", "long", "traversal"])
def test_a_condition_key_that_is_no_file_name_is_an_unknown_key(key):
    (result,) = check_text(_with_condition("StringEquals", key, "x"), PolicyType.IDENTITY, CATALOG)
    assert "UNKNOWN_CONDITION_KEY" in {f.code for f in result.findings}


def test_a_very_long_number_is_read_not_raised():
    text = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": '
            '"arn:aws:s3:::amzn-s3-demo-bucket", "Condition": {"NumericLessThan": {"s3:max-keys": 1'
            + "0" * 5000 + "}}}]}")
    (result,) = check_text(text, PolicyType.IDENTITY, CATALOG)
    assert result.value is not None


def test_an_escaped_surrogate_pair_is_one_character():
    """RFC 8259 section 7: a character beyond U+FFFF is escaped as a UTF-16 surrogate pair."""
    text = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", '
            '"Resource": "arn:aws:s3:::amzn-s3-demo-bucket/\\ud83d\\ude00/*"}]}')
    (read,) = read_policies(text)
    assert read.value["Statement"][0]["Resource"] == "arn:aws:s3:::amzn-s3-demo-bucket/\U0001f600/*"


@pytest.mark.parametrize("escaped", [
    "\\ud800\\ud800\\udc00",  # a lone high surrogate, then a valid pair (found by Hypothesis)
    "\\udc00\\ud800",  # a low before a high: two lone surrogates
    "\\ud83d\\ude00\\ud83d",  # a pair, then a lone high at the end
    "\\ud800x\\udc00",  # separated by text: no pair
])
def test_surrogate_escapes_are_read_as_json_loads_reads_them(escaped):
    (read,) = read_policies('{"Sid": "' + escaped + '"}')
    assert read.value == json.loads('{"Sid": "' + escaped + '"}')


@given(units=st.lists(st.sampled_from(["\\ud800", "\\udbff", "\\udc00", "\\udfff", "a", "\\u0041"]), max_size=8))
def test_any_run_of_escapes_reads_like_json_loads(units):
    text = '{"Sid": "' + "".join(units) + '"}'
    (read,) = read_policies(text)
    assert read.value == json.loads(text)


@pytest.mark.parametrize(("number", "kept"), [
    ("1e400", "1e400"), ("-1e400", "-1e400"), ("1" + "0" * 5000, "1" + "0" * 5000), ("2.5", 2.5), ("12", 12)])
def test_a_number_no_python_number_holds_is_kept_as_its_text(number, kept):
    """IAM reads condition values as strings; an infinity could not be written back as JSON."""
    (read,) = read_policies('{"Version": "2012-10-17", "Statement": {"Condition": {"NumericLessThan": '
                            '{"s3:max-keys": ' + number + "}}}}")
    value = read.value["Statement"]["Condition"]["NumericLessThan"]["s3:max-keys"]
    assert value == kept
    json.dumps(read.value, allow_nan=False)  # writable as strict JSON


def test_printable_ascii_keys_are_safe_for_the_catalog():
    """Guard for the strategy exclusion above: ordinary key text must not crash."""
    for char in string.printable:
        check_text(_with_condition("StringEquals", f"ab{char}cd:key", "x"), PolicyType.IDENTITY, CATALOG)


def test_a_closing_typographic_quote_inside_a_string_is_just_text():
    document = {"Statement": {"Principal": "*", "Sid": "One",
                              "Condition": {"\u201d": {"aws:MultiFactorAuthPresent": '"'}}}}
    (read,) = read_policies(json.dumps(document, indent=2, ensure_ascii=False))
    assert read.valid_json and read.value == document
