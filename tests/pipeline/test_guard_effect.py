"""The guard judges each policy in a model answer by what it allows, as the kind it is, and refuses what it cannot read.

Pure: the real catalog and the one evaluator, no index and no model.
"""

from __future__ import annotations

import json

import pytest

from assistant.engine.document import parse_policy
from assistant.engine.evaluator import PolicySet
from assistant.engine.model import Request
from assistant.pipeline.guard import (
    GuardReport,
    inspect_policies,
    policy_kind,
    strip_unverified_claims,
    without_policies,
)

ALICE = "arn:aws:iam::123456789012:user/alice"
DENIED = [Request(ALICE, "iam:CreateVirtualMFADevice", "arn:aws:iam::123456789012:mfa/alice",
                  {"aws:username": ("alice",)}, "123456789012")]
ORIGINAL = PolicySet(identity=(parse_policy({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "iam:ListVirtualMFADevices", "Resource": "*"}]})[0],))


def _answer(statements, before: str = "Use this policy:") -> str:
    policy = {"Version": "2012-10-17", "Statement": statements}
    return f"{before}\n\n```json\n{json.dumps(policy, indent=2)}\n```\n"


@pytest.mark.parametrize(("statements", "sensitive"), [
    ([{"Effect": "Allow", "Action": ["iam:Create*", "iam:Update*"], "Resource": "*"}], "iam:CreateAccessKey"),
    ([{"Effect": "Allow", "Action": ["iam:CreateVirtualMFADevice", "iam:Delete*"], "Resource": "*"}],
     "iam:DeleteVirtualMFADevice"),
    ([{"Effect": "Allow", "Action": ["iam:CreateVirtualMFADevice", "iam:CreatePolicyVersion"], "Resource": "*"}],
     "iam:CreatePolicyVersion"),
    ([{"Effect": "Allow", "Action": "iam:CreateVirtualMFADevice", "Resource": "*"},
      {"Effect": "Allow", "Action": "iam:UpdateAssumeRolePolicy", "Resource": "arn:aws:iam::*:role/*"}],
     "iam:UpdateAssumeRolePolicy"),
    ([{"Effect": "Allow", "Action": "iam:CreateVirtualMFADevice", "Resource": "*"},
      {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}], "s3:GetObject"),
    ([{"Effect": "Allow", "Action": "*", "Resource": "*"}], "iam:PassRole"),
])
def test_a_policy_granting_sensitive_access_beyond_the_denial_is_rejected(statements, sensitive, catalog):
    report = inspect_policies(_answer(statements), catalog, ORIGINAL, DENIED)
    assert report.problems
    (entry,) = report.policies
    assert entry["verified"] is False and any(e.startswith(sensitive + " on ") for e in entry["exposes"]), entry


@pytest.mark.parametrize("resource", ["arn:aws:iam::123456789012:mfa/*", "arn:aws:iam::*:mfa/${aws:username}"])
def test_the_least_privilege_fix_passes(resource, catalog):
    """Widening the denied action's own resource (device names are chosen freely) grants nothing sensitive."""
    report = inspect_policies(_answer([
        {"Effect": "Allow", "Action": "iam:ListVirtualMFADevices", "Resource": "*"},
        {"Effect": "Allow", "Action": "iam:CreateVirtualMFADevice", "Resource": resource}]), catalog, ORIGINAL, DENIED)
    assert report.problems == ()
    assert [p["verified"] for p in report.policies] == [True]


def test_the_self_service_mfa_policy_passes_without_a_denial(catalog):
    """AWS's example lets users create a virtual MFA device under any name and manage only their own user."""
    report = inspect_policies(_answer([
        {"Effect": "Allow", "Action": "iam:CreateVirtualMFADevice", "Resource": "arn:aws:iam::*:mfa/*"},
        {"Effect": "Allow", "Action": ["iam:EnableMFADevice", "iam:ResyncMFADevice", "iam:ListMFADevices"],
         "Resource": "arn:aws:iam::*:user/${aws:username}"}]), catalog, PolicySet(), [])
    assert report.problems == ()


TRUST = [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]
BUCKET = [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "s3:GetObject",
           "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*"}]
FULL_ACCESS = [{"Effect": "Allow", "Action": "*", "Resource": "*"}]


@pytest.mark.parametrize(("statements", "before", "kind"), [
    (TRUST, "The role's trust policy:", "trust"),
    (TRUST, "Set this on the role:", "trust"),
    (BUCKET, "Add this bucket policy:", "resource"),
    (BUCKET, "Add this:", "resource"),
    (FULL_ACCESS, "The default FullAWSAccess SCP attached to the root is:", "scp"),
])
def test_each_policy_is_judged_as_the_kind_it_is(statements, before, kind, catalog):
    report = inspect_policies(_answer(statements, before), catalog, PolicySet(), [])
    assert report.problems == (), report.problems
    assert [p["policy_type"] for p in report.policies] == [kind]


def test_the_question_names_the_kind_when_the_answer_does_not(catalog):
    assert policy_kind({"Statement": FULL_ACCESS}, "Here it is:", "Is my SCP wrong?").value == "scp"
    assert policy_kind({"Statement": FULL_ACCESS}, "Here it is:", "Why is s3:GetObject denied?").value == "identity"


def test_a_public_bucket_policy_is_rejected(catalog):
    public = [{**BUCKET[0], "Principal": "*"}]
    report = inspect_policies(_answer(public, "Bucket policy:"), catalog, PolicySet(), [])
    assert any("PUBLIC_PRINCIPAL" in p for p in report.problems)


@pytest.mark.parametrize("text", [
    "## 検証済みの修正\n\nAllow `*` on `*`, verified by the checker.\n",
    "Policy (YAML):\n\n```yaml\nVersion: '2012-10-17'\nStatement:\n  - Effect: Allow\n    Action: '*'\n"
    "    Resource: '*'\n```\n",
    "Statement:\n- Effect: Allow\n  Action: iam:*\n  Resource: '*'\n",
    "すべてのアクションをすべてのリソースに許可すれば解決します。",
])
def test_a_policy_that_is_not_json_cannot_pass(text, catalog):
    report = inspect_policies(text, catalog, ORIGINAL, DENIED)
    assert report.problems
    cleaned = without_policies(text, report, "en")
    assert "*" not in cleaned or "Action" not in cleaned


def test_claims_of_verification_are_removed_unless_the_checker_verified_every_policy(catalog):
    text = ("## 検証済み\n\nこのポリシーはチェッカーで検証済みです。MFA デバイスを登録できます。\n\n"
            + _answer([{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]))
    report = inspect_policies(text, catalog, ORIGINAL, DENIED)
    cleaned, changed = strip_unverified_claims(text, report)
    assert changed == 2 and "検証" not in cleaned and "MFA デバイスを登録できます。" in cleaned
    kept, unchanged = strip_unverified_claims(text, GuardReport((), ({"verified": True},)))
    assert (kept, unchanged) == (text, 0)


def test_an_injected_claim_without_any_policy_is_removed(catalog):
    text = "The policy is verified. Ask your administrator to attach it."
    cleaned, changed = strip_unverified_claims(text, inspect_policies(text, catalog, PolicySet(), []))
    assert cleaned == "Ask your administrator to attach it." and changed == 1


def test_decoding_authorization_messages_is_no_exposure(catalog):
    decode = [{"Effect": "Allow", "Action": "sts:DecodeAuthorizationMessage", "Resource": "*"}]
    report = inspect_policies(_answer(decode), catalog, PolicySet(), [])
    assert report.problems == () and report.failing == ()


def test_only_the_failing_policy_is_removed_and_the_customers_own_policy_is_a_quotation(catalog):
    own = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                   "Resource": "arn:aws:s3:::amzn-s3-demo-bucket"}]}
    question = "My policy:\n" + json.dumps(own) + "\nWhy is GetObject denied?"
    good = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                    "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*"}]}
    broad = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]}
    text = ("Your policy names the bucket:\n\n```json\n" + json.dumps(own, indent=2) + "\n```\n\n"
            "Use this:\n\n```json\n" + json.dumps(good, indent=2) + "\n```\n\n"
            "Or this:\n\n```json\n" + json.dumps(broad, indent=2) + "\n```\n\n"
            "The change:\n\n```diff\n-  \"Resource\": \"arn:aws:s3:::amzn-s3-demo-bucket\"\n"
            "+  \"Resource\": \"arn:aws:s3:::amzn-s3-demo-bucket/*\"\n```\n")
    report = inspect_policies(text, catalog, PolicySet(), [], question)
    assert report.failing == (3,) and [p["json"] for p in report.passed] == [good]
    cleaned = without_policies(text, report, "en")
    assert '"iam:*"' not in cleaned and cleaned.count('"Version"') == 2 and "```diff" in cleaned
    assert "did not pass the policy checker" in cleaned
