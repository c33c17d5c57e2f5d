"""The document endpoints over real HTTP: check, simulate, explain-error, articles, health, models.

Each returns the same JSON document as the matching ``--json`` CLI command.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

# the first test to run builds the session's index (minutes on a busy machine)
pytestmark = pytest.mark.timeout(900)

# the policy attached in the founding support case, as shipped in examples/
SEED_POLICY = json.loads((Path(__file__).resolve().parents[2] / "examples" / "attached-policy.json").read_text())

SEED_ERRORS = (
    "User: arn:aws:iam::123456789012:user/IAM-MFA is not authorized to perform: iam:ListVirtualMFADevices on "
    "resource: arn:aws:iam::123456789012:mfa/ with an explicit deny in an identity-based policy\n"
    "User: arn:aws:iam::123456789012:user/IAM-MFA is not authorized to perform: iam:CreateVirtualMFADevice on "
    "resource: arn:aws:iam::123456789012:mfa/Test because no identity-based policy allows the "
    "iam:CreateVirtualMFADevice action"
)
ALLOW_GET = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
DENY_GET = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}


def _cli(*args: str, stdin: str | None = None) -> Any:
    """The CLI's JSON output for the same input, to compare documents."""
    done = subprocess.run([str(Path(sys.executable).parent / "kb-assistant"), *args], input=stdin,
                          capture_output=True, text=True, check=False, timeout=120)
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return lines[0] if len(lines) == 1 else lines


def _case(case_id: str, *policies: dict[str, Any], action: str = "s3:GetObject") -> dict[str, Any]:
    return {"id": case_id, "identity_policies": list(policies),
            "request": {"principal": "arn:aws:iam::111122223333:user/alice", "action": action,
                        "resource": "arn:aws:s3:::bucket/key", "context": {}}}


# --- check --------------------------------------------------------------------------------------

def test_check_object_names_the_typo(client: httpx.Client) -> None:
    policy = {"Version": "2012-10-17",
              "Statement": [{"Effect": "Allow", "Action": "iam:ListVirtualMFADevice", "Resource": "*"}]}
    response = client.post("/v1/check", json={"policy": policy})
    assert response.status_code == 200
    document = response.json()
    assert document["valid"] is False and document["policy_type"] == "identity"
    finding = document["findings"][0]
    assert finding["code"] == "UNKNOWN_ACTION" and finding["severity"] == "ERROR"
    assert "iam:ListVirtualMFADevices" in finding["hint"]


def test_check_text_matches_the_cli(client: httpx.Client, seed_text: str) -> None:
    response = client.post("/v1/check", json={"policy": seed_text, "type": "identity"})
    assert response.status_code == 200
    assert response.json() == _cli("check", "-", "--json", stdin=seed_text)


def test_check_type_and_quota(client: httpx.Client) -> None:
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}
    document = client.post("/v1/check", json={"policy": trust, "type": "trust", "quota": "trust"}).json()
    assert document["policy_type"] == "trust"
    assert document["valid"] is True


def test_check_rejects_unknown_type_in_one_line(client: httpx.Client) -> None:
    response = client.post("/v1/check", json={"policy": "{}", "type": "bogus"})
    assert response.status_code == 422
    message = response.json()["error"]["message"]
    assert message.startswith("type: Input should be 'identity'") and "\n" not in message


# --- simulate -----------------------------------------------------------------------------------

def test_simulate_one_case(client: httpx.Client) -> None:
    response = client.post("/v1/simulate", json=_case("c1", ALLOW_GET))
    assert response.status_code == 200
    assert response.json() == {"id": "c1", "decision": "Allowed", "blocked_by": [], "message": None}


def test_simulate_cases_in_order_like_the_cli(client: httpx.Client, tmp_path: Path) -> None:
    cases = [_case("allow", ALLOW_GET), _case("deny", ALLOW_GET, DENY_GET), _case("none"),
             {"id": "broken", "request": "nope"}]
    response = client.post("/v1/simulate", json={"cases": cases})
    assert response.status_code == 200
    lines = response.json()
    assert [line["id"] for line in lines] == ["allow", "deny", "none", "broken"]
    assert [line.get("decision") for line in lines] == ["Allowed", "ExplicitlyDenied", "ImplicitlyDenied", None]
    assert lines[1]["blocked_by"] == ["identity"]
    assert lines[2]["message"].startswith("User: arn:aws:iam::111122223333:user/alice is not authorized")
    assert lines[3]["error"] == "cases[3]: 'request' is missing or not an object"
    file = tmp_path / "cases.jsonl"
    file.write_text("\n".join(json.dumps(c) for c in cases[:3]) + "\n")
    assert lines[:3] == _cli("simulate", "--cases", str(file), "--json")


def test_simulate_unreadable_single_case_is_422(client: httpx.Client) -> None:
    response = client.post("/v1/simulate", json={"id": "x", "request": {"principal": "", "action": "s3:GetObject"}})
    assert response.status_code == 422
    assert response.json()["error"]["message"] == "request.principal must be a non-empty string"
    assert client.post("/v1/simulate", json={"cases": "nope"}).status_code == 422
    assert client.post("/v1/simulate", json=[1, 2]).status_code == 422


# --- explain-error ------------------------------------------------------------------------------

def test_explain_error_with_policy_reproduces_and_fixes(client: httpx.Client, tmp_path: Path) -> None:
    response = client.post("/v1/explain-error", json={"text": SEED_ERRORS, "policies": [SEED_POLICY]})
    assert response.status_code == 200
    document = response.json()
    assert [(d["action"], d["decision"]) for d in document["diagnoses"]] == [
        ("iam:ListVirtualMFADevices", "ExplicitlyDenied"), ("iam:CreateVirtualMFADevice", "ImplicitlyDenied")]
    assert document["diagnoses"][0]["statement_sid"] == "0987654321"
    assert document["fix"]["verified"] is True
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(SEED_POLICY))
    assert document == _cli("explain-error", SEED_ERRORS, "--policy", str(policy), "--json")


def test_explain_error_takes_policy_text(client: httpx.Client) -> None:
    text_policy = "attached policy:\n" + json.dumps(SEED_POLICY, indent=2)
    document = client.post("/v1/explain-error", json={"text": SEED_ERRORS, "policies": [text_policy]}).json()
    assert document["fix"]["verified"] is True


def test_explain_error_without_policies_reads_the_messages(client: httpx.Client) -> None:
    document = client.post("/v1/explain-error", json={"text": SEED_ERRORS}).json()
    assert [d["reported"]["decision"] for d in document["diagnoses"]] == ["ExplicitlyDenied", "ImplicitlyDenied"]
    assert document["fix"] is None


def test_explain_error_refusals(client: httpx.Client) -> None:
    response = client.post("/v1/explain-error", json={"text": "hello"})
    assert response.status_code == 422
    assert response.json()["error"]["message"].startswith("no access-denied message found")
    broken = client.post("/v1/explain-error", json={"text": SEED_ERRORS, "policies": ['{"Version": "2012-10-17",']})
    assert broken.status_code == 422
    assert broken.json()["error"]["message"].startswith("policies[0]: line 1")
    assert client.post("/v1/explain-error", json={"text": SEED_ERRORS, "policies": [[1]]}).status_code == 422


# --- articles, health, models -------------------------------------------------------------------

def test_article_front_matter_and_body(client: httpx.Client, served: Any) -> None:
    response = client.get("/v1/articles/mfa-device-registration-denied", params={"lang": "ja"})
    assert response.status_code == 200
    document = response.json()
    assert document["id"] == "mfa-device-registration-denied" and document["lang"] == "ja"
    assert document["front_matter"]["title"]
    assert isinstance(document["front_matter"]["updated"], str)
    assert "## 困っていること" in document["body"]
    source = (served.settings.kb_dir / "ja" / "mfa-device-registration-denied.md").read_text(encoding="utf-8")
    assert source.endswith(document["body"])
    english = client.get("/v1/articles/mfa-device-registration-denied", params={"lang": "en"}).json()
    assert "## Problem" in english["body"]


def test_article_not_found_is_404_with_a_message(client: httpx.Client) -> None:
    response = client.get("/v1/articles/no-such-article")
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["message"] == "no article 'no-such-article' in 'ja'"
    assert error["type"] == "not_found_error" and error["hint"]
    assert client.get("/v1/articles/..%2F..%2Fpyproject").status_code == 404
    assert client.get("/v1/articles/mfa-device-registration-denied", params={"lang": "fr"}).status_code == 422


def test_healthz_reports_index_and_llm(client: httpx.Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    document = response.json()
    assert document["status"] == "ok"
    assert document["index"]["usable"] is True and document["index"]["articles"] == 6
    assert document["index"]["generation"]
    assert document["llm"] == {"configured": False, "model": None}
    assert document["mode"] == "deterministic"


def test_models_and_unknown_routes(client: httpx.Client) -> None:
    names = [m["id"] for m in client.get("/v1/models").json()["data"]]
    assert names == ["kb-assistant", "kb-assistant-deterministic", "kb-assistant-llm"]
    missing = client.get("/v1/nothing")
    assert missing.status_code == 404 and missing.json()["error"]["message"] == "no such endpoint: GET /v1/nothing"
    assert client.get("/v1/check").status_code == 405
