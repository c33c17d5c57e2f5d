"""The engine commands as an outside tool drives them: real processes, stdout JSON, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

CLI = str(Path(sys.executable).parent / "kb-assistant")
USER = "arn:aws:iam::123456789012:user/IAM-MFA"


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args], input=stdin, capture_output=True, text=True, timeout=120)


@pytest.fixture()
def seed_policy(tmp_path: Path, seed_text: str) -> Path:
    line = next(line for line in seed_text.splitlines() if line.startswith("{"))
    path = tmp_path / "attached.json"
    path.write_text(line, encoding="utf-8")
    return path


def test_check_json_of_the_seed_reports_the_annotation_with_line_and_column(seed_text):
    result = run("check", "-", "--json", stdin=seed_text)
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert document["valid"] is False and document["policy_type"] == "identity"
    annotation = next(f for f in document["findings"] if f["code"] == "JSON_ANNOTATION")
    assert (annotation["severity"], annotation["line"]) == ("ERROR", 15)
    assert len(document["policies"]) == 3


@pytest.mark.parametrize(
    ("text", "policy_type", "code", "status"),
    [
        ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", '
         '"Resource": "arn:aws:s3:::b/*"}]}', "identity", None, 0),
        ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListVirtualMFADevice", '
         '"Resource": "*"}]}', "identity", "UNKNOWN_ACTION", 1),
        ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": '
         '"ec2.amazonaws.com"}, "Action": "sts:AssumeRole", "Resource": "*"}]}', "trust",
         "RESOURCE_IN_TRUST_POLICY", 1),
        ("no policy here, just words", "identity", "NO_POLICY_FOUND", 1),
    ],
    ids=["valid", "typo", "trust-with-resource", "no-policy"],
)
def test_check_exit_status_follows_validity(text, policy_type, code, status):
    result = run("check", "-", "--type", policy_type, "--json", stdin=text)
    assert result.returncode == status, result.stderr
    codes = [f["code"] for f in json.loads(result.stdout)["findings"]]
    assert (code in codes) if code else not [c for c in codes if c.startswith("INVALID")]


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["check", "/nonexistent/policy.json"], "file not found"),
        (["check", "-", "--type", "bucket"], "unknown policy type"),
        (["simulate", "--principal", USER], "give --cases FILE"),
        (["simulate", "--principal", "not-an-arn", "--action", "s3:GetObject"], "is not a principal"),
        (["simulate", "--principal", "arn:aws:iam::", "--action", "s3:GetObject"], "is not a principal"),
        (["explain-error", "hello"], "no access-denied message"),
    ],
)
def test_bad_usage_exits_2_with_a_one_line_reason(args, reason):
    result = run(*args, stdin="{}")
    assert result.returncode == 2
    assert reason in result.stderr
    assert result.stdout == ""


def test_simulate_cases_keeps_order_and_reports_unreadable_cases(tmp_path):
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                      "Resource": "arn:aws:s3:::b/*"}]}
    request = {"principal": "arn:aws:iam::111122223333:user/alice", "action": "s3:GetObject",
               "resource": "arn:aws:s3:::b/k", "resource_account": "111122223333"}
    lines = [
        {"id": "allowed", "identity_policies": [policy], "request": request},
        {"id": "denied", "identity_policies": [], "request": request},
        {"id": "broken", "identity_policies": "nope", "request": request},
    ]
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\nnot json\n", encoding="utf-8")
    result = run("simulate", "--cases", str(path), "--json")
    assert result.returncode == 1
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["allowed", "denied", "broken", None]
    assert out[0]["decision"] == "Allowed" and out[0]["blocked_by"] == [] and out[0]["message"] is None
    assert out[1] == {"id": "denied", "decision": "ImplicitlyDenied", "blocked_by": ["identity"],
                      "message": "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: "
                                 "s3:GetObject on resource: \"arn:aws:s3:::b/k\" because no identity-based policy "
                                 "allows the s3:GetObject action"}
    assert "identity_policies" in out[2]["error"] and out[3]["error"].startswith("line 4: not JSON")


def test_simulate_single_request_derives_the_username_from_the_arn(seed_policy):
    result = run("simulate", "--principal", USER, "--action", "iam:CreateVirtualMFADevice", "--resource",
                 "arn:aws:iam::123456789012:mfa/IAM-MFA", "--policy", str(seed_policy),
                 "--context", "aws:MultiFactorAuthPresent=false", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["decision"] == "Allowed"
    result = run("simulate", "--principal", USER, "--action", "iam:ListVirtualMFADevices", "--resource",
                 "arn:aws:iam::123456789012:mfa/", "--policy", str(seed_policy),
                 "--context", "aws:MultiFactorAuthPresent=false", "--json")
    line = json.loads(result.stdout)
    assert line["decision"] == "ExplicitlyDenied"
    assert line["statement"]["statement_sid"] == "0987654321"


def test_explain_error_reproduces_both_seed_errors_and_proposes_a_verified_fix(seed_text, seed_policy):
    errors = "\n".join(line for line in seed_text.splitlines() if line.startswith("エラー例"))
    result = run("explain-error", errors, "--policy", str(seed_policy), "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    diagnoses = document["diagnoses"]
    assert [(d["action"], d["decision"], d["statement_sid"], d["reproduced"]) for d in diagnoses] == [
        ("iam:ListVirtualMFADevices", "ExplicitlyDenied", "0987654321", True),
        ("iam:CreateVirtualMFADevice", "ImplicitlyDenied", None, True),
    ]
    fix = document["fix"]
    assert fix["verified"] is True and len(fix["resolves"]) == 2
    assert fix["json"][0]["Version"] == "2012-10-17"
