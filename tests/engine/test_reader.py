"""Reading policy text: how many policies are found, whether each is JSON as written, what damage is named.

Each case gives the text a user might paste and, written by hand, the JSON value expected as written
(or, for damaged JSON, the repaired candidate). A repaired candidate is only ever offered beside the
policy as written: ``CheckedPolicy.value`` stays None and the result stays invalid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest

from assistant.adapters.iam_catalog import IamDataCatalog
from assistant.engine.checker import check_text
from assistant.engine.model import PolicyType, Severity
from assistant.engine.reader import read_policies

LIST_USERS = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}]}
GET_OBJECT = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*"}]}
SEED_QUICK_FIX = {"Version": "2012-10-17", "Statement": [
    {"Sid": "1234567890", "Effect": "Allow",
     "Action": ["iam:CreateVirtualMFADevice", "iam:EnableMFADevice"],
     "Resource": ["arn:aws:iam::*:mfa/${aws:username}", "arn:aws:iam::*:user/${aws:username}",
                  "arn:aws:iam::*:mfa/*"]}]}
SAML_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::123456789012:saml-provider/ExampleOrgSSOProvider"},
     "Action": "sts:AssumeRoleWithSAML",
     "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}]}

INVALID = frozenset({"INVALID_JSON"})


@dataclass(frozen=True)
class ReaderCase:
    """One text, and per policy found: JSON as written?, repaired?, the damage codes, the expected value."""

    id: str
    text: str
    valid_json: tuple[bool, ...]
    repaired: tuple[bool, ...]
    damage: tuple[frozenset[str], ...]
    values: tuple[Any, ...]  # the value as written, or the repaired candidate; None when there is neither
    xfail: str | None = None

    @property
    def documents(self) -> int:
        return len(self.valid_json)


CASES = [
    ReaderCase(
        "raw-json",
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}]}',
        (True,), (False,), (frozenset(),), (LIST_USERS,),
    ),
    ReaderCase(
        "raw-json-pretty-with-surrounding-blank-lines",
        '\n\n{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Effect": "Allow", "Action": "iam:ListUsers", '
        '"Resource": "*"}\n  ]\n}\n\n',
        (True,), (False,), (frozenset(),), (LIST_USERS,),
    ),
    ReaderCase(
        "markdown-json-fence",
        "## 設定したポリシー\n\n```json\n"
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}]}\n'
        "```\n\nこれで足りていますか?\n",
        (True,), (False,), (frozenset(),), (LIST_USERS,),
    ),
    ReaderCase(
        "chat-inline-english",
        'Hi {team}, here is the policy: {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
        '"Action": "iam:ListUsers", "Resource": "*"}]} -- what is wrong?',
        (True,), (False,), (frozenset(),), (LIST_USERS,),
    ),
    ReaderCase(
        "chat-inline-japanese-multiline",
        "以下のポリシーをアタッチしています。\n{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n"
        "    {\"Effect\": \"Allow\", \"Action\": [\"s3:GetObject\", \"s3:PutObject\"], "
        "\"Resource\": \"arn:aws:s3:::amzn-s3-demo-bucket/*\"}\n  ]\n}\nよろしくお願いします。",
        (True,), (False,), (frozenset(),), (GET_OBJECT,),
    ),
    ReaderCase(
        "two-policies-in-one-message",
        'Before: {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", '
        '"Resource": "*"}]}\nAfter:\n```json\n{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
        '"Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*"}]}\n```\n',
        (True, True), (False, False), (frozenset(), frozenset()), (LIST_USERS, GET_OBJECT),
    ),
    ReaderCase(
        "two-policies-one-broken",
        '1つ目 {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", '
        '"Resource": "*",}]}\n2つ目 {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
        '"Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*"}]}',
        (False, True), (True, False), (INVALID | {"TRAILING_COMMA"}, frozenset()), (LIST_USERS, GET_OBJECT),
    ),
    ReaderCase(
        "line-comments",
        '{\n  "Version": "2012-10-17", // 固定値\n  "Statement": [\n    // 一覧だけ許可\n'
        '    {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}\n  ]\n}',
        (False,), (True,), (INVALID | {"JSON_COMMENT"},), (LIST_USERS,),
    ),
    ReaderCase(
        "block-comment",
        '{\n  "Version": "2012-10-17",\n  /* read and write\n     one bucket */\n  "Statement": [{"Effect": "Allow", '
        '"Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*"}]\n}',
        (False,), (True,), (INVALID | {"JSON_COMMENT"},), (GET_OBJECT,),
    ),
    ReaderCase(
        "comment-next-to-a-url-string",
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": '
        '"arn:aws:iam::123456789012:saml-provider/ExampleOrgSSOProvider"}, "Action": "sts:AssumeRoleWithSAML", '
        '"Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"} // required\n}}]}',
        (False,), (True,), (INVALID | {"JSON_COMMENT"},), (SAML_TRUST,),
    ),
    ReaderCase(
        "url-string-is-not-a-comment",
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": '
        '"arn:aws:iam::123456789012:saml-provider/ExampleOrgSSOProvider"}, "Action": "sts:AssumeRoleWithSAML", '
        '"Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}]}',
        (True,), (False,), (frozenset(),), (SAML_TRUST,),
    ),
    ReaderCase(
        "trailing-commas",
        '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {\n      "Effect": "Allow",\n      "Action": [\n'
        '        "s3:GetObject",\n        "s3:PutObject",\n      ],\n'
        '      "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*",\n    },\n  ],\n}',
        (False,), (True,), (INVALID | {"TRAILING_COMMA"},), (GET_OBJECT,),
    ),
    ReaderCase(
        "smart-quotes",
        "{“Version”: “2012-10-17”, “Statement”: [{“Effect”: “Allow”, “Action”: “iam:ListUsers”, “Resource”: “*”}]}",
        (False,), (True,), (INVALID | {"SMART_QUOTES"},), (LIST_USERS,),
    ),
    ReaderCase(
        "smart-quotes-in-a-chat-message",
        "このポリシーです: {\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": “Allow”, "
        "\"Action\": \"iam:ListUsers\", \"Resource\": \"*\"}]} お願いします",
        (False,), (True,), (INVALID | {"SMART_QUOTES"},), (LIST_USERS,),
    ),
    ReaderCase(
        "full-width-braces",
        '｛"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}]｝',
        (False,), (True,), (INVALID | {"FULLWIDTH_CHARACTER"},), (LIST_USERS,),
    ),
    ReaderCase(
        "full-width-spaces-colon-and-comma",
        '{\n\u3000"Version"："2012-10-17"，\n\u3000"Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", '
        '"Resource": "*"}]\n}',
        (False,), (True,), (INVALID | {"FULLWIDTH_CHARACTER"},), (LIST_USERS,),
    ),
    ReaderCase(
        "arrow-annotation-from-the-seed",
        '{ "Version": "2012-10-17", "Statement": [ { "Sid": "1234567890", "Effect": "Allow", "Action": [ '
        '"iam:CreateVirtualMFADevice", "iam:EnableMFADevice" ], "Resource": [ "arn:aws:iam::*:mfa/${aws:username}", '
        '"arn:aws:iam::*:user/${aws:username}", "arn:aws:iam::*:mfa/*" ← 追加 ] } ] }',
        (False,), (True,), (INVALID | {"JSON_ANNOTATION"},), (SEED_QUICK_FIX,),
    ),
    ReaderCase(
        "arrow-annotation-in-a-fence",
        "修正例:\n```json\n{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n"
        "    {\n      \"Sid\": \"1234567890\",\n"
        "      \"Effect\": \"Allow\",\n      \"Action\": [\"iam:CreateVirtualMFADevice\", \"iam:EnableMFADevice\"],\n"
        "      \"Resource\": [\n        \"arn:aws:iam::*:mfa/${aws:username}\",\n"
        "        \"arn:aws:iam::*:user/${aws:username}\",\n        \"arn:aws:iam::*:mfa/*\"  ← 追加\n      ]\n"
        "    }\n  ]\n}\n```\n",
        (False,), (True,), (INVALID | {"JSON_ANNOTATION"},), (SEED_QUICK_FIX,),
    ),
    ReaderCase(
        "several-kinds-of-damage-at-once",
        "{\n  “Version”: “2012-10-17”,\n  \"Statement\": [\n    {\"Effect\": \"Allow\", // 一覧\n"
        "     \"Action\": \"iam:ListUsers\",\n     \"Resource\": \"*\",}\n  ]\n｝",
        (False,), (True,),
        (INVALID | {"SMART_QUOTES", "JSON_COMMENT", "TRAILING_COMMA", "FULLWIDTH_CHARACTER"},), (LIST_USERS,),
    ),
    ReaderCase(
        "missing-comma-is-not-repairable",
        '{\n  "Version": "2012-10-17"\n  "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", '
        '"Resource": "*"}]\n}',
        (False,), (False,), (INVALID,), (None,),
    ),
    ReaderCase(
        "truncated-policy-is-not-repairable",
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers"',
        (False,), (False,), (INVALID,), (None,),
    ),
    ReaderCase(
        "duplicate-key-is-json-with-a-warning",
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Effect": "Allow", "Action": "iam:ListUsers", '
        '"Resource": "*"}]}',
        (True,), (False,), (frozenset({"DUPLICATE_KEY"}),), (LIST_USERS,),
    ),
    ReaderCase(
        "no-policy-in-plain-text",
        "MFA デバイスを登録できません。{ユーザー名} は IAM-MFA です。",
        (), (), (), (),
    ),
    ReaderCase(
        "json-that-is-not-a-policy",
        'The CLI printed {"Error": {"Code": "AccessDenied", "Message": "denied"}} and stopped.',
        (), (), (), (),
    ),
    ReaderCase(
        "typographic-quotes-inside-a-string-in-chat",
        'このポリシーです: {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", '
        '"Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalTag/project": "“Alpha”"}}}]} よろしく',
        (True,), (False,), (frozenset(),), ({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*",
             "Condition": {"StringEquals": {"aws:PrincipalTag/project": "“Alpha”"}}}]},),
    ),
    ReaderCase(
        "bracket-tag-before-a-policy",
        '[質問] このポリシーで S3 が読めません\n{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
        '"Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*"}]}',
        (True,), (False,), (frozenset(),), (GET_OBJECT,),
    ),
    ReaderCase(
        "bracket-tags-around-a-policy",
        '[質問] このポリシーで S3 が読めません\n{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
        '"Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*"}]}\n[急ぎ]',
        (True,), (False,), (frozenset(),), (GET_OBJECT,),
    ),
    ReaderCase(
        "date-tag-before-a-policy",
        '[2024-01-24] MFA デバイス登録時のエラー\n{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
        '"Action": "iam:ListUsers", "Resource": "*"}]}',
        (True,), (False,), (frozenset(),), (LIST_USERS,),
    ),
]


def _params() -> list[Any]:
    return [
        pytest.param(case, id=case.id,
                     marks=[pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else [])
        for case in CASES
    ]


@pytest.fixture(scope="module")
def catalog() -> IamDataCatalog:
    """The real catalog, shared by the module."""
    return IamDataCatalog()


def test_the_cases_are_consistent():
    assert len({case.id for case in CASES}) == len(CASES)
    for case in CASES:
        assert len({len(case.valid_json), len(case.repaired), len(case.damage), len(case.values)}) == 1, case.id
        for valid_json, repaired, value in zip(case.valid_json, case.repaired, case.values, strict=True):
            assert not (valid_json and repaired), case.id
            assert (value is None) == (not valid_json and not repaired), case.id


@pytest.mark.parametrize("case", _params())
def test_reader(case: ReaderCase):
    documents = read_policies(case.text)
    assert len(documents) == case.documents, [d.text[:60] for d in documents]
    for index, document in enumerate(documents):
        codes = {f.code for f in document.findings}
        assert document.valid_json is case.valid_json[index], codes
        assert document.repaired is case.repaired[index], codes
        assert codes == case.damage[index]
        for item in document.findings:
            assert item.line is not None and item.column is not None, item.code
            assert item.message and item.message_ja
        if document.valid_json:
            assert document.value == case.values[index]
            assert document.repaired_value is None and document.repaired_text is None
        else:
            assert document.value is None
            assert document.repaired_value == case.values[index]
            assert document.text in case.text
        assert case.text[document.start:document.start + len(document.text)] == document.text


@pytest.mark.parametrize("case", _params())
def test_a_repaired_candidate_is_never_the_policy_as_written(case: ReaderCase, catalog):
    results = check_text(case.text, PolicyType.IDENTITY, catalog)
    if not case.documents:
        (result,) = results
        assert [f.code for f in result.findings] == ["NO_POLICY_FOUND"]
        assert result.value is None and result.policy is None and not result.valid
        return
    assert len(results) == case.documents
    for index, result in enumerate(results):
        if case.valid_json[index]:
            assert result.value == case.values[index] and result.policy is not None
            assert result.repaired_value is None and result.repaired_policy is None
            continue
        assert result.value is None and result.policy is None
        assert not result.valid
        assert any(f.severity is Severity.ERROR and f.code == "INVALID_JSON" for f in result.findings)
        # the findings are about the text as written; the candidate's own findings are kept apart
        assert {f.code for f in result.findings} == case.damage[index]
        assert result.repaired_value == case.values[index]
        if case.repaired[index]:
            assert result.repaired_policy is not None
            assert result.usable_policy is result.repaired_policy
        else:
            assert result.repaired_policy is None and result.usable_policy is None
            assert result.repaired_findings == ()


def test_the_repaired_candidate_is_validated_on_its_own(catalog):
    text = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListVirtualMFADevice", '
            '"Resource": "*",}]}')
    (result,) = check_text(text, PolicyType.IDENTITY, catalog)
    assert {f.code for f in result.findings} == {"INVALID_JSON", "TRAILING_COMMA"}
    assert "UNKNOWN_ACTION" in {f.code for f in result.repaired_findings}
    assert result.value is None and not result.valid


_ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")


@pytest.mark.parametrize("text", [
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}',
    '{"Version": "2012-10-17" "Statement": []}',
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow"} {"Effect": "Deny"}]}',
    '{"Version": "2012-10-17", "Statement": [], }',
    '{"Version": "2012-10-17\n"}',
    '{"Version": "\\q"}',
    '{Version: 1}',
    '{"Version" "2012-10-17"}',
    '{"Version": tru}',
    '{"Version": "\\u12"}',
])
def test_the_japanese_message_of_invalid_json_has_no_english_words(text, catalog):
    """The parser's reason is given in Japanese too (「',' か ']' が必要です」, not "',' or ']' was expected")."""
    results = check_text(text, PolicyType.IDENTITY, catalog)
    found = [f for r in results for f in r.findings if f.code == "INVALID_JSON"]
    assert found, text
    for item in found:
        assert not _ENGLISH_WORD.findall(item.message_ja.replace("JSON", "")), item.message_ja
        assert "JSON" in item.message and _ENGLISH_WORD.search(item.message)
