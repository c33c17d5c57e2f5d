"""The reader-visible checks flag what a customer would notice, and stay quiet on a clean answer."""

from __future__ import annotations

import pytest

from assistant.evaluation.reader_checks import (
    dangling_lines,
    leaked_names,
    placeholders,
    prose_language,
    sample_names,
    wrong_language_lines,
)

CLEAN_JA = """## 回答

`iam:ListVirtualMFADevices` を NotAction に追加してください。

```json
{"Version": "2012-10-17", "Statement": []}
```

変更点:
- ステートメント `0987654321` の NotAction に `iam:ListVirtualMFADevices` を追加しました。

参考: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_enable.html
"""


@pytest.mark.parametrize(("text", "expected"), [
    ("修正後:\n(ポリシーの例は参考記事を参照してください)", ["参考記事を参照"]),
    ("Fixed policy:\n(see the policy example in the article)", ["see the policy example in the article"]),
    ('"Resource": "arn:aws:iam::<ACCOUNT_ID>:user/x"', ["<ACCOUNT_ID>"]),
    ('"Resource": "arn:aws:s3:::{{bucket}}/*"', ["{{bucket}}"]),
    ('"Resource": "arn:aws:s3:::<bucket>/*"', ["<bucket>"]),
    ('"Action": ["<action>"],', ["<action>"]),
    # Prose quoting the message template names its parts; that is not a placeholder.
    ("The message ends with `because no identity-based policy allows the <action> action`.", []),
    (CLEAN_JA, []),
])
def test_placeholders(text: str, expected: list[str]) -> None:
    assert placeholders(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Delete an old one first:\n\nArticles:\n- [policy-version-missing]", ["Delete an old one first:"]),
    ("The policy allows it.\n\nYou must then", ["You must then"]),
    # A hard-wrapped paragraph is one line: the colon that continues on the next line announces nothing.
    ("6. Look up the CloudTrail event of the call:\n   its `errorCode` carries the full text.", []),
    ("Two statements apply to `iam:DeactivateMFADevice`:\n\nThis is deliberate.",
     ["Two statements apply to `iam:DeactivateMFADevice`:"]),
    ("Add it:\n```json\n{}\n```\nDone.", []),
    (CLEAN_JA, []),
])
def test_dangling_lines(text: str, expected: list[str]) -> None:
    assert dangling_lines(text) == expected


@pytest.mark.parametrize(("text", "lang", "expected"), [
    ("- statement 0987654321: add iam:ListVirtualMFADevices to NotAction", "ja",
     ["- statement 0987654321: add iam:ListVirtualMFADevices to NotAction"]),
    (CLEAN_JA, "ja", []),
    ("Add the action. 次に再度サインインします。", "en", ["Add the action. 次に再度サインインします。"]),
    ("Allow `s3:GetObject` on `arn:aws:s3:::amzn-s3-demo-bucket/*`.", "en", []),
])
def test_wrong_language_lines(text: str, lang: str, expected: list[str]) -> None:
    assert wrong_language_lines(text, lang) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("## Answer\n\nAdd the action to the policy of the user.\n\n## 参考\n- MFA デバイスの登録が拒否される\n\n"
     "Then sign in again and register the device.", "en"),
    ("## 回答\n\nユーザーのポリシーにアクションを追加します。\n\nSee the MFA device registration article.\n"
     "ポリシーを保存してから再度サインインします。", "ja"),
    ("```json\n{}\n```\n`iam:ListVirtualMFADevices`", None),
])
def test_prose_language_counts_lines_not_characters(text: str, expected: str | None) -> None:
    assert prose_language(text) == expected


def test_patterns_prefixes_and_reserved_paths_are_not_names() -> None:
    text = ("arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123 "
            "arn:aws:iam::111122223333:mfa/alice-phone: arn:aws:s3:::logs-2026-0?/app-/x "
            "arn:aws:iam::111122223333:role/aws-service-role/ops-role")
    assert sample_names([text]) == {"111122223333", "AWSReservedSSO_Admin_0123", "alice-phone", "ops-role"}


def test_slot_samples_are_sample_names() -> None:
    assert sample_names([], ["amzn-s3-demo-bucket", "s3:GetObject", "arn:aws:iam::111122223333:role/ci-deploy"]) \
        == {"amzn-s3-demo-bucket", "111122223333", "ci-deploy"}


def test_sample_names_leak_only_when_the_question_did_not_use_them() -> None:
    samples = sample_names(["User: arn:aws:iam::123456789012:user/IAM-MFA on arn:aws:iam::123456789012:mfa/Test"])
    assert samples == {"123456789012", "IAM-MFA"}
    answer = "The user IAM-MFA in account 123456789012 needs the action."
    assert leaked_names(answer, "My user cannot register MFA.", samples) == ["123456789012", "IAM-MFA"]
    assert leaked_names(answer, "User IAM-MFA in 123456789012 is denied.", samples) == []
