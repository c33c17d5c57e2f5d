"""Access-denied messages as AWS prints them today and before, and decoded authorization messages.

Each row is a pasted text and what must be read from it; the formats come from the IAM and S3
troubleshooting pages and the STS DecodeAuthorizationMessage reference.
"""

from __future__ import annotations

import json

import pytest

from assistant.engine.messages import parse_denials, render_message, same_denial
from assistant.engine.model import Decision, PolicyKind, Request

ALICE = "arn:aws:iam::111122223333:user/alice"
SESSION = "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_AdministratorAccess_0123/alice@example.com"
SCP = "arn:aws:organizations::999999999999:policy/o-a1b2c3d4e5/service_control_policy/p-examplepolicy1"
OBJECT = "arn:aws:s3:::example-bucket/reports/q1.csv"
INSTANCE = "arn:aws:ec2:us-east-1:111122223333:instance/*"
DECODED = {"allowed": False, "explicitDeny": True, "matchedStatements": {"items": []}, "failures": {"items": []},
           "context": {"principal": {"id": "AROAEXAMPLE:alice", "arn": SESSION}, "action": "ec2:RunInstances",
                       "resource": INSTANCE, "conditions": {"items": [
                           {"key": "ec2:InstanceType", "values": {"items": [{"value": "m5.24xlarge"}]}},
                           {"key": "aws:TagKeys", "values": {"items": [{"value": "team"}, {"value": "env"}]}}]}}}

ROWS = [
    ("scp-arn-then-encoded",
     f"An error occurred (UnauthorizedOperation) when calling the RunInstances operation: You are not authorized to "
     f"perform this operation. User: {SESSION} is not authorized to perform: ec2:RunInstances on resource: {INSTANCE} "
     f"with an explicit deny in a service control policy: {SCP}. Encoded authorization failure message: AbC-123_x",
     (SESSION, "ec2:RunInstances", INSTANCE, Decision.EXPLICIT_DENY, PolicyKind.SCP, SCP)),
    ("s3-quoted-resource",
     f'User: {ALICE} is not authorized to perform: s3:GetObject on resource: "{OBJECT}" because no identity-based '
     "policy allows the s3:GetObject action",
     (ALICE, "s3:GetObject", OBJECT, Decision.IMPLICIT_DENY, PolicyKind.IDENTITY, None)),
    ("identity-policy-arn",
     f"User: {ALICE} is not authorized to perform: ec2:StartInstances on resource: {INSTANCE} with an explicit deny "
     "in an identity-based policy: arn:aws:iam::111122223333:policy/DenyEc2Start",
     (ALICE, "ec2:StartInstances", INSTANCE, Decision.EXPLICIT_DENY, PolicyKind.IDENTITY,
      "arn:aws:iam::111122223333:policy/DenyEc2Start")),
    ("older-format",
     f"User: {ALICE} is not authorized to perform: s3:GetObject on resource: {OBJECT} with an explicit deny in a "
     "resource-based policy",
     (ALICE, "s3:GetObject", OBJECT, Decision.EXPLICIT_DENY, PolicyKind.RESOURCE, None)),
    ("decoded-json", json.dumps(DECODED, indent=2),
     (SESSION, "ec2:RunInstances", INSTANCE, Decision.EXPLICIT_DENY, None, None)),
    ("decoded-cli-wrapper", json.dumps({"DecodedMessage": json.dumps(DECODED)}),
     (SESSION, "ec2:RunInstances", INSTANCE, Decision.EXPLICIT_DENY, None, None)),
]


@pytest.mark.parametrize(("text", "expected"), [pytest.param(t, e, id=i) for i, t, e in ROWS])
def test_a_pasted_message_is_read(text, expected):
    (denial,) = parse_denials(text)
    assert (denial.principal, denial.action, denial.resource, denial.decision, denial.kind,
            denial.policy_arn) == expected


def test_a_decoded_message_carries_every_condition_key_and_value():
    (denial,) = parse_denials(json.dumps({"DecodedMessage": json.dumps(DECODED)}))
    assert dict(denial.context) == {"ec2:InstanceType": ("m5.24xlarge",), "aws:TagKeys": ("team", "env")}


@pytest.mark.parametrize(("kind", "arn"), [(PolicyKind.SCP, SCP), (PolicyKind.RESOURCE, None),
                                           (PolicyKind.VPCE, None), (PolicyKind.BOUNDARY, "arn:aws:iam::1:policy/B")])
def test_what_is_rendered_reads_back_the_same(kind, arn):
    request = Request(ALICE, "s3:GetObject", OBJECT)
    rendered = render_message(request, Decision.EXPLICIT_DENY, kind, arn)
    (denial,) = parse_denials(rendered)
    assert (denial.kind, denial.policy_arn, denial.resource) == (kind, arn, OBJECT)


def test_the_older_format_is_the_same_denial_but_another_denial_is_not():
    request = Request(ALICE, "s3:GetObject", OBJECT)
    current = render_message(request, Decision.IMPLICIT_DENY, PolicyKind.IDENTITY)
    older = current.replace(f'"{OBJECT}"', OBJECT)
    assert current != older and same_denial(older, current)
    assert not same_denial(older.replace("identity-based", "resource-based"), current)
