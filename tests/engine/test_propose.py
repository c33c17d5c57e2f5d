"""Proposed fixes are the least change, and what they newly allow is computed by evaluation.

The seed's fix must newly allow only iam:CreateVirtualMFADevice on mfa/* and iam:ListVirtualMFADevices:
checked here by evaluating, independently of the proposer's own list, the actions the old statements
grant on other users' devices and users, with and without MFA.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from assistant.engine.document import parse_policy
from assistant.engine.evaluator import OrgLevel, PolicySet, evaluate
from assistant.engine.model import Decision, Request
from assistant.engine.propose import EditKind, ObstacleKind, propose_fix

ACCOUNT = "123456789012"
USER = f"arn:aws:iam::{ACCOUNT}:user/IAM-MFA"
# the policy attached in the founding support case, as shipped in examples/
SEED_POLICY = json.loads((Path(__file__).resolve().parents[2] / "examples" / "attached-policy.json").read_text())



def _context(mfa: str | None) -> dict[str, tuple[str, ...]]:
    context = {"aws:username": ("IAM-MFA",)}
    return context | ({"aws:multifactorauthpresent": (mfa,)} if mfa else {})


LIST = Request(USER, "iam:ListVirtualMFADevices", f"arn:aws:iam::{ACCOUNT}:mfa/", _context("false"), None, True)
CREATE = Request(USER, "iam:CreateVirtualMFADevice", f"arn:aws:iam::{ACCOUNT}:mfa/Test", _context("false"))


def _policy(value):
    return PolicySet(identity=(parse_policy(value)[0],))


@pytest.fixture(scope="module")
def seed_proposal(catalog):
    return propose_fix([SEED_POLICY], _policy(SEED_POLICY), [LIST, CREATE], catalog)


def test_the_seed_fix_is_verified_and_names_exactly_what_it_newly_allows(seed_proposal):
    assert seed_proposal.verified
    assert sorted(seed_proposal.verification.newly_granted) == [
        f"iam:CreateVirtualMFADevice on arn:aws:iam::{ACCOUNT}:mfa/*", "iam:ListVirtualMFADevices on *"]
    assert [(e.kind, e.action) for e in seed_proposal.edits] == [
        (EditKind.EXEMPT, "iam:ListVirtualMFADevices"), (EditKind.NEW_STATEMENT, "iam:ListVirtualMFADevices"),
        (EditKind.NEW_STATEMENT, "iam:CreateVirtualMFADevice")]


def test_the_seed_fix_leaves_the_six_action_statement_as_it_was(seed_proposal):
    statements = {s.get("Sid"): s for s in seed_proposal.candidates[0]["Statement"]}
    assert statements["1234567890"] == SEED_POLICY["Statement"][0]
    assert statements["AllowCreateVirtualMFADevice"]["Action"] == "iam:CreateVirtualMFADevice"


OTHER_ACTIONS = ["iam:DeleteVirtualMFADevice", "iam:DeactivateMFADevice", "iam:EnableMFADevice",
                 "iam:ResyncMFADevice", "iam:ListMFADevices", "iam:ChangePassword", "iam:GetAccountPasswordPolicy"]
RESOURCES = [f"arn:aws:iam::{ACCOUNT}:mfa/{n}" for n in ("IAM-MFA", "alice", "Test")] + [
    f"arn:aws:iam::{ACCOUNT}:user/{n}" for n in ("IAM-MFA", "alice")] + ["*"]


@pytest.mark.parametrize(("action", "resource", "mfa"), list(itertools.product(
    OTHER_ACTIONS, RESOURCES, [None, "false", "true"])))
def test_no_other_action_gains_anything_on_any_users_resource(seed_proposal, action, resource, mfa):
    probe = Request(USER, action, resource, _context(mfa), None, resource == "*")
    before = evaluate(_policy(SEED_POLICY), probe).decision
    after = evaluate(_policy(seed_proposal.candidates[0]), probe).decision
    assert (before is Decision.ALLOWED) == (after is Decision.ALLOWED)


@pytest.mark.parametrize("mfa", [None, "false", "true"])
@pytest.mark.parametrize("device", ["Test", "alice", "IAM-MFA"])
def test_creating_a_device_of_any_name_is_allowed_with_or_without_mfa(seed_proposal, device, mfa):
    probe = Request(USER, "iam:CreateVirtualMFADevice", f"arn:aws:iam::{ACCOUNT}:mfa/{device}", _context(mfa))
    assert evaluate(_policy(seed_proposal.candidates[0]), probe).decision is Decision.ALLOWED


def _one(action, resource):
    return {"Version": "2012-10-17", "Statement": [{"Sid": "S", "Effect": "Allow", "Action": action,
                                                    "Resource": resource}]}


READ = Request("arn:aws:iam::123456789012:user/alice", "s3:GetObject", "arn:aws:s3:::reports/a.csv")


def test_a_statement_granting_only_the_denied_action_is_edited_in_place(catalog):
    policy = _one(["s3:GetObject"], "arn:aws:s3:::reports")
    proposal = propose_fix([policy], _policy(policy), [READ], catalog)
    assert proposal.verified and [e.kind for e in proposal.edits] == [EditKind.ADD_RESOURCE]
    assert proposal.candidates[0]["Statement"][0]["Resource"] == ["arn:aws:s3:::reports", "arn:aws:s3:::reports/*"]
    assert proposal.verification.newly_granted == ("s3:GetObject on arn:aws:s3:::reports/*",)


def test_a_statement_granting_other_actions_too_is_not_widened(catalog):
    policy = _one(["s3:GetObject", "s3:DeleteObject"], "arn:aws:s3:::reports")
    proposal = propose_fix([policy], _policy(policy), [READ], catalog)
    assert proposal.verified and [e.kind for e in proposal.edits] == [EditKind.NEW_STATEMENT]
    assert proposal.candidates[0]["Statement"][0] == policy["Statement"][0]
    deleting = Request(READ.principal, "s3:DeleteObject", READ.resource)
    assert evaluate(_policy(proposal.candidates[0]), deleting).decision is not Decision.ALLOWED
    assert proposal.verification.newly_granted == ("s3:GetObject on arn:aws:s3:::reports/*",)


def test_a_statement_list_with_a_non_object_entry_does_not_break_the_proposer(catalog):
    policy = {"Version": "2012-10-17", "Statement": ["not a statement", SEED_POLICY["Statement"][1],
                                                     SEED_POLICY["Statement"][0]]}
    proposal = propose_fix([policy], _policy(policy), [LIST, CREATE], catalog)
    assert proposal.verified
    assert "iam:ListVirtualMFADevices" in proposal.candidates[0]["Statement"][1]["NotAction"]


def test_an_explicit_deny_of_a_write_action_is_kept_and_said(catalog):
    policy = {"Version": "2012-10-17", "Statement": [{"Sid": "NoDeletes", "Effect": "Deny",
                                                      "Action": "s3:DeleteObject", "Resource": "*"}]}
    deleting = Request(READ.principal, "s3:DeleteObject", READ.resource)
    proposal = propose_fix([policy], _policy(policy), [deleting], catalog)
    assert not proposal.verified and proposal.candidates == ()
    assert [(o.kind, o.statement, o.level) for o in proposal.obstacles] == [
        (ObstacleKind.DENY_KEPT, "NoDeletes", "Write")]


def test_a_denial_from_an_scp_is_not_patched_in_the_identity_policy(catalog):
    policy = _one("s3:GetObject", "*")
    deny_all = parse_policy({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}, {"Effect": "Allow", "Action": "*",
                                                                "Resource": "*"}]})[0]
    policies = PolicySet(identity=(parse_policy(policy)[0],), scps=(OrgLevel("r-root", (deny_all,)),))
    proposal = propose_fix([policy], policies, [READ], catalog)
    assert [(o.kind, o.blocked_by) for o in proposal.obstacles] == [(ObstacleKind.OTHER_POLICY, ("scp",))]


@pytest.mark.parametrize(("resource", "pattern"), [
    ("arn:aws:s3:::reports/2026-11.csv", "arn:aws:s3:::reports/*"),
    ("arn:aws:s3:::reports/monthly/2026-11.csv", "arn:aws:s3:::reports/monthly/*"),  # the keys under its prefix
    ("arn:aws:iam::123456789012:user/division/alice", "arn:aws:iam::123456789012:user/division/alice"),
])
def test_the_denied_resource_is_widened_only_to_its_siblings(catalog, resource, pattern):
    action = "s3:GetObject" if ":s3:" in resource else "iam:GetUser"
    policy = _one(["s3:ListBucket"], "arn:aws:s3:::reports")
    denied = Request(READ.principal, action, resource)
    proposal = propose_fix([policy], _policy(policy), [denied], catalog)
    assert proposal.verified
    assert proposal.verification.newly_granted == (f"{action} on {pattern}",)
