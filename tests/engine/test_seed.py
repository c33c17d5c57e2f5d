"""The founding example, exactly: the seed article's two errors, its policy and its two fixes."""

from __future__ import annotations

import json

import pytest

from assistant.engine.checker import check_text
from assistant.engine.evaluator import PolicySet, evaluate
from assistant.engine.messages import parse_denials
from assistant.engine.model import Decision, PolicyKind, PolicyType, Request
from assistant.engine.propose import propose_fix
from assistant.pipeline.diagnosis import request_for

USER = "arn:aws:iam::123456789012:user/IAM-MFA"
NO_MFA = {"aws:username": ("IAM-MFA",), "aws:multifactorauthpresent": ("false",)}
LIST = Request(USER, "iam:ListVirtualMFADevices", "arn:aws:iam::123456789012:mfa/", NO_MFA, None, True)
CREATE = Request(USER, "iam:CreateVirtualMFADevice", "arn:aws:iam::123456789012:mfa/Test", NO_MFA)
ERROR_1 = (f"User: {USER} is not authorized to perform: iam:ListVirtualMFADevices on resource: "
           "arn:aws:iam::123456789012:mfa/ with an explicit deny in an identity-based policy")
ERROR_2 = (f"User: {USER} is not authorized to perform: iam:CreateVirtualMFADevice on resource: "
           "arn:aws:iam::123456789012:mfa/Test because no identity-based policy allows the "
           "iam:CreateVirtualMFADevice action")


@pytest.fixture(scope="module")
def seed_policies(seed_text, catalog):
    """The seed's three policies in order: attached (before), AWS-documented (after), quick fix."""
    return check_text(seed_text, PolicyType.IDENTITY, catalog)


def test_the_seed_holds_three_policies_and_the_quick_fix_is_invalid_json(seed_policies):
    before, documented, quick = seed_policies
    assert before.valid and documented.valid
    assert not quick.valid and quick.value is None
    codes = {f.code for f in quick.findings}
    assert {"INVALID_JSON", "JSON_ANNOTATION"} <= codes
    annotation = next(f for f in quick.findings if f.code == "JSON_ANNOTATION")
    assert "← 追加" in annotation.message and annotation.line == 15
    assert quick.repaired_value["Statement"][0]["Resource"][-1] == "arn:aws:iam::*:mfa/*"


@pytest.mark.parametrize(
    ("which", "request_", "decision", "sid", "message"),
    [
        ("before", LIST, Decision.EXPLICIT_DENY, "0987654321", ERROR_1),
        ("before", CREATE, Decision.IMPLICIT_DENY, None, ERROR_2),
        ("quick", LIST, Decision.EXPLICIT_DENY, "0987654321", ERROR_1),
        ("quick", CREATE, Decision.ALLOWED, "1234567890", None),
        ("documented", LIST, Decision.ALLOWED, "AllowListActions", None),
        ("documented", CREATE, Decision.ALLOWED, "AllowUserToCreateVirtualMFADevice", None),
    ],
    ids=["error1-before", "error2-before", "error1-quickfix", "error2-quickfix", "error1-documented",
         "error2-documented"],
)
def test_seed_decisions(seed_policies, which, request_, decision, sid, message):
    before, documented, quick = seed_policies
    policy = {"before": before.policy, "documented": documented.policy, "quick": quick.repaired_policy}[which]
    evaluation = evaluate(PolicySet(identity=(policy,)), request_)
    assert evaluation.decision is decision
    assert evaluation.message == message
    if sid is not None:
        assert evaluation.deciding[0].statement.sid == sid
    if decision is not Decision.ALLOWED:
        assert evaluation.blocked_by == (PolicyKind.IDENTITY,)


def test_error_2_names_the_statement_that_almost_matched(seed_policies):
    evaluation = evaluate(PolicySet(identity=(seed_policies[0].policy,)), CREATE)
    near = [t for t in evaluation.traces if t.action_matched and not t.resource_matched]
    assert [t.statement.sid for t in near] == ["1234567890"]


def test_the_seed_error_texts_parse_to_the_requests_the_engine_renders(seed_text, catalog):
    denials = parse_denials(seed_text)
    assert [(d.action, d.resource, d.decision, d.kind) for d in denials] == [
        ("iam:ListVirtualMFADevices", "arn:aws:iam::123456789012:mfa/", Decision.EXPLICIT_DENY, PolicyKind.IDENTITY),
        ("iam:CreateVirtualMFADevice", "arn:aws:iam::123456789012:mfa/Test", Decision.IMPLICIT_DENY,
         PolicyKind.IDENTITY),
    ]
    assert request_for(denials[0], catalog).wildcard_only_action
    assert not request_for(denials[1], catalog).wildcard_only_action
    assert denials[0].notes, "the seed's malformed ARN (arn:aws:iam123456789012:) is reported as read"


def test_a_proposed_fix_resolves_both_errors_and_is_verified(seed_policies, catalog):
    before = seed_policies[0]
    proposal = propose_fix([before.value], PolicySet(identity=(before.policy,)), [LIST, CREATE], catalog)
    assert proposal.verified
    assert [r.resolved for r in proposal.verification.resolutions] == [True, True]
    # the deny is narrowed only for the List-level action, never removed
    deny = next(s for s in proposal.candidates[0]["Statement"] if s.get("Sid") == "0987654321")
    assert deny["Effect"] == "Deny" and "iam:ListVirtualMFADevices" in deny["NotAction"]
    assert check_text(json.dumps(proposal.candidates[0]), PolicyType.IDENTITY, catalog)[0].valid


def test_the_quick_fix_alone_is_not_a_verified_fix(seed_policies, catalog):
    from assistant.engine.verify import verify_fix

    before, _, quick = seed_policies
    verification = verify_fix(PolicySet(identity=(before.policy,)), PolicySet(identity=(quick.repaired_policy,)),
                              [LIST, CREATE], catalog)
    assert [r.resolved for r in verification.resolutions] == [False, True]
    assert not verification.resolves_all
