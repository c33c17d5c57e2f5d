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


SCP_ARN = "arn:aws:organizations::999999999999:policy/o-a1b2c3d4e5/service_control_policy/p-examplepolicy1"
ALICE = "arn:aws:iam::111122223333:user/alice"


def _write(tmp_path: Path, name: str, statements: list[dict]) -> str:
    path = tmp_path / name
    path.write_text(json.dumps({"Version": "2012-10-17", "Statement": statements}), encoding="utf-8")
    return str(path)


def test_explain_error_reads_todays_message_and_evaluates_the_scp_its_arn_names(tmp_path):
    # the current format: S3 quotes the resource, an explicit deny ends with the denying policy's ARN
    text = (f'User: {ALICE} is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::b/k" '
            f"with an explicit deny in a service control policy: {SCP_ARN}")
    identity = _write(tmp_path, "attached.json", [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}])
    scp = _write(tmp_path, "p-examplepolicy1.json", [{"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"}])
    result = run("explain-error", text, "--policy", identity, "--policy", scp, "--json")
    assert result.returncode == 0, result.stderr
    (diagnosis,) = json.loads(result.stdout)["diagnoses"]
    assert diagnosis["resource"] == "arn:aws:s3:::b/k"
    assert diagnosis["reported"]["policy_arn"] == SCP_ARN and diagnosis["reported"]["policy_type"] == "scp"
    assert (diagnosis["decision"], diagnosis["policy_type"]) == ("ExplicitlyDenied", "scp")
    assert diagnosis["reproduced"] is True
    assert diagnosis["message"] == text


DECODED = {
    "allowed": False, "explicitDeny": False, "matchedStatements": {"items": []}, "failures": {"items": []},
    "context": {"principal": {"id": "AIDAEXAMPLE", "name": "alice", "arn": ALICE},
                "action": "ec2:RunInstances",
                "resource": "arn:aws:ec2:us-east-1:111122223333:instance/*",
                "conditions": {"items": [
                    {"key": "ec2:InstanceType", "values": {"items": [{"value": "m5.24xlarge"}]}},
                    {"key": "aws:Region", "values": {"items": [{"value": "us-east-1"}]}}]}},
}


@pytest.mark.parametrize("pasted", [json.dumps({"DecodedMessage": json.dumps(DECODED)}), json.dumps(DECODED, indent=2)],
                         ids=["cli-wrapper", "decoded-json"])
def test_explain_error_reads_decode_authorization_message_and_names_the_failing_condition(tmp_path, pasted):
    identity = _write(tmp_path, "attached.json", [{
        "Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*",
        "Condition": {"StringEquals": {"ec2:InstanceType": "t3.micro"}}}])
    result = run("explain-error", "-", "--policy", identity, "--json", stdin=pasted)
    assert result.returncode == 0, result.stderr
    (diagnosis,) = json.loads(result.stdout)["diagnoses"]
    assert (diagnosis["principal"], diagnosis["action"]) == (ALICE, "ec2:RunInstances")
    assert (diagnosis["decision"], diagnosis["reproduced"]) == ("ImplicitlyDenied", True)
    assert "ec2:InstanceType" in diagnosis["explanation"] and "t3.micro" in diagnosis["explanation"]


def test_simulate_warns_about_an_unknown_condition_operator(tmp_path):
    policy = _write(tmp_path, "p.json", [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
                                         {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*",
                                          "Condition": {"BoolIfExist": {"aws:SecureTransport": "false"}}}])
    result = run("simulate", "--principal", ALICE, "--action", "s3:GetObject", "--resource", "arn:aws:s3:::b/k",
                 "--policy", policy, "--context", "aws:SecureTransport=false", "--json")
    line = json.loads(result.stdout)
    assert line["decision"] == "Allowed"
    assert len(line["warnings"]) == 1 and "BoolIfExist" in line["warnings"][0]
    assert "policy 1, statement 2:" in line["warnings"][0]  # the Deny, the second statement, counted from 1
