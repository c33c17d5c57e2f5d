"""Fuzz the policy engine: generated and mutated policies through reader, validator, evaluator and proposer.

Every input is a policy text: a generated policy (random statements from real actions, ARNs, conditions,
principals) or a mutation of one (characters flipped, inserted, cut; values swapped for other JSON types,
non-object statements, huge or non-finite numbers, lone surrogate escapes, deep nesting, long strings,
wildcard runs). Each goes through ``check_text`` (reader and validator); each readable policy is
evaluated for a few requests and handed to ``propose_fix``. The engine reports problems as findings, so
any exception that is not one of the program's own (``AssistantError``) is a crash: counted, and the
first ones kept with their input.

    python benchmarks/fuzz.py --inputs 1000000 --budget-s 1800 --workers 2 [--seed 12] [--crashes FILE]

Prints the inputs run, crashes and the rate; exit 1 when anything crashed.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import sys
import time
import traceback
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.adapters.iam_catalog import IamDataCatalog
from assistant.engine.checker import check_text
from assistant.engine.evaluator import PolicySet, evaluate
from assistant.engine.model import Decision, PolicyType, Request
from assistant.engine.propose import propose_fix
from assistant.errors import AssistantError

ACTIONS = ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "iam:CreateVirtualMFADevice", "iam:EnableMFADevice",
           "iam:ListVirtualMFADevices", "iam:PassRole", "iam:CreateAccessKey", "ec2:DescribeInstances",
           "sts:AssumeRole", "kms:Decrypt", "dynamodb:GetItem", "s3:*", "iam:*", "*", "ec2:Describe*", "iam:Get*",
           "s3:Get?bject", "iam:List*", "lambda:InvokeFunction", "sqs:SendMessage", "nosuch:Thing", "s3:NoSuch"]
RESOURCES = ["*", "arn:aws:s3:::amzn-s3-demo-bucket", "arn:aws:s3:::amzn-s3-demo-bucket/*",
             "arn:aws:iam::111122223333:mfa/${aws:username}", "arn:aws:iam::*:user/${aws:username}",
             "arn:aws:iam::111122223333:role/*", "arn:aws:ec2:*:*:instance/*",
             "arn:aws:kms:us-east-1:111122223333:key/*",
             "arn:aws:s3:::b/${aws:PrincipalTag/team}/*", "not-an-arn", "arn:aws:iam::12345:user/x",
             "arn:aws:s3:::*?*?*?*?Z", "arn:aws:dynamodb:us-east-1:111122223333:table/T"]
CONDITIONS = [{"Bool": {"aws:MultiFactorAuthPresent": "true"}},
              {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
              {"StringEquals": {"aws:username": "alice"}}, {"StringLike": {"s3:prefix": ["home/*", "*?*?Z"]}},
              {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"NumericLessThan": {"s3:max-keys": 10}},
              {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}},
              {"ArnLike": {"aws:PrincipalArn": "arn:*"}},
              {"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}, {"Null": {"aws:TokenIssueTime": "false"}},
              {"StringEqualz": {"aws:username": "x"}}, {"Bool": {"aws:SecureTransport": False}}]
PRINCIPALS = ["*", {"AWS": "arn:aws:iam::111122223333:root"}, {"Service": "lambda.amazonaws.com"},
              {"AWS": ["111122223333", "arn:aws:iam::444455556666:user/bob"]},
              {"Federated": "cognito-identity.amazonaws.com"}]
CALLERS = ["arn:aws:iam::111122223333:user/alice", "arn:aws:sts::111122223333:assumed-role/R/s",
           "lambda.amazonaws.com", "anonymous", "arn:aws:iam::444455556666:user/bob"]
ODD_VALUES: list[Any] = [None, True, 0, -1, 1.5, 10**30, [], {}, [[[]]], "", "x" * 1_100, "\ud800", "*" * 300,
                         {"a": {"b": {"c": [1, 2, {"d": None}]}}}, ["s3:GetObject", 7], float(2**60)]
RAW_SNIPPETS = ["NaN", "Infinity", "-Infinity", "1e400", "9" * 5_000, '"\\ud800"', '"\\ud800\\ud800\\udc00"',
                '"\\udc00"', "[" * 200 + "]" * 200, "{" * 80 + "}" * 80, '"\\u12"', "// c\n", "/* x */", ",", "，",
                "“Effect”", "← 追加", "\x00", "```", "\n```json\n", "${", "${aws:username", "}", "]", "'"]
_STATUS: dict[str, Any] = {}


def _statement(rng: random.Random) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": rng.choice(["Allow", "Allow", "Deny", "allow", "Maybe"])}
    if rng.random() < 0.3:
        statement["Sid"] = rng.choice(["S1", "Allow MFA", "", "x" * 40])
    key = "NotAction" if rng.random() < 0.1 else "Action"
    actions = rng.sample(ACTIONS, rng.randint(1, 4))
    statement[key] = actions[0] if len(actions) == 1 and rng.random() < 0.5 else actions
    if rng.random() < 0.9:
        rkey = "NotResource" if rng.random() < 0.08 else "Resource"
        resources = rng.sample(RESOURCES, rng.randint(1, 3))
        statement[rkey] = resources[0] if len(resources) == 1 and rng.random() < 0.5 else resources
    if rng.random() < 0.25:
        statement["Principal" if rng.random() < 0.9 else "NotPrincipal"] = rng.choice(PRINCIPALS)
    if rng.random() < 0.4:
        condition: dict[str, Any] = {}
        for item in rng.sample(CONDITIONS, rng.randint(1, 3)):
            condition.update(item)
        statement["Condition"] = condition
    return statement


def generate(rng: random.Random) -> dict[str, Any]:
    """A random policy from real actions, ARNs, conditions and principals (often valid, often not)."""
    statements = [_statement(rng) for _ in range(rng.randint(1, 4))]
    policy: dict[str, Any] = {"Version": rng.choice(["2012-10-17", "2012-10-17", "2008-10-17", "2012-10-18"]),
                              "Statement": statements if len(statements) > 1 or rng.random() < 0.7 else statements[0]}
    if rng.random() < 0.05:
        del policy["Version"]
    return policy


def _mutate_value(value: Any, rng: random.Random, depth: int = 0) -> Any:
    if isinstance(value, dict) and value and depth < 6:
        key = rng.choice(list(value))
        copy = dict(value)
        if rng.random() < 0.15:
            del copy[key]
        else:
            copy[key] = _mutate_value(value[key], rng, depth + 1)
        return copy
    if isinstance(value, list) and value and depth < 6:
        copy = list(value)
        index = rng.randrange(len(copy))
        if rng.random() < 0.2:
            copy.insert(index, rng.choice(ODD_VALUES))
        else:
            copy[index] = _mutate_value(copy[index], rng, depth + 1)
        return copy
    return rng.choice(ODD_VALUES)


def _mutate_text(text: str, rng: random.Random) -> str:
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(text) + 1)
        choice = rng.random()
        if choice < 0.3:
            text = text[:at] + rng.choice(RAW_SNIPPETS) + text[at:]
        elif choice < 0.5:
            text = text[:at] + text[at + rng.randint(1, 8):]
        elif choice < 0.65:
            text = text[:at]
        elif choice < 0.8:
            text = text[:at] + chr(rng.randint(0, 0x2FFF)) + text[at + 1:]
        else:
            text = rng.choice(["Here is my policy:\n```json\n", "ポリシー:\n", "[質問] ", ""]) + text + rng.choice(
                ["\n```\n", "\nUser: arn:aws:iam::1:user/a is not authorized", "", "\n```"])
    return text


def make_input(rng: random.Random) -> str:
    """One policy text: generated, its value mutated, or its text mutated."""
    policy = generate(rng)
    kind = rng.random()
    if kind < 0.35:
        return json.dumps(policy, indent=rng.choice([None, 2]), ensure_ascii=rng.random() < 0.5)
    if kind < 0.7:
        return json.dumps(_mutate_value(policy, rng), ensure_ascii=rng.random() < 0.5)
    return _mutate_text(json.dumps(policy, indent=rng.choice([None, 2])), rng)


def _requests(rng: random.Random) -> list[Request]:
    out = []
    for _ in range(2):
        principal = rng.choice(CALLERS)
        context = {"aws:username": ("alice",), "aws:multifactorauthpresent": (rng.choice(["true", "false"]),),
                   "aws:sourceip": ("203.0.113.7",), "aws:tagkeys": ("a", "b")}
        action = rng.choice([a for a in ACTIONS if "*" not in a and "?" not in a])
        out.append(Request(principal, action, rng.choice(RESOURCES[1:]), context,
                           rng.choice([None, "111122223333", "444455556666"]), rng.random() < 0.1))
    return out


def run_one(text: str, rng: random.Random, catalog: IamDataCatalog) -> None:
    """Reader and validator, then evaluator and proposer on what could be read."""
    policy_type = rng.choice(list(PolicyType))
    for checked in check_text(text, policy_type, catalog):
        policy = checked.usable_policy
        if policy is None:
            continue
        requests = _requests(rng)
        denied = []
        for request in requests:
            policies = PolicySet(identity=(policy,)) if rng.random() < 0.7 else PolicySet(resource=policy)
            if evaluate(policies, request).decision is not Decision.ALLOWED:
                denied.append(request)
        value = checked.value if checked.value is not None else checked.repaired_value
        if denied and isinstance(value, dict):
            propose_fix([value], PolicySet(identity=(policy,)), denied[:1], catalog)


def _worker(args: tuple[int, int, float, int]) -> tuple[int, int, list[dict[str, str]]]:
    seed, count, deadline, keep = args
    catalog = _STATUS.setdefault("catalog", IamDataCatalog())
    rng = random.Random(seed)
    done = crashes = 0
    kept: list[dict[str, str]] = []
    while done < count and time.time() < deadline:
        text = make_input(rng)
        try:
            run_one(text, rng, catalog)
        except AssistantError:
            pass  # the program's own, documented errors
        except Exception as exc:  # a crash: the engine must report problems as findings
            crashes += 1
            if len(kept) < keep:
                kept.append({"input": text[:2000], "error": f"{type(exc).__name__}: {exc}"[:500],
                             "where": traceback.format_exc().strip().splitlines()[-3][:300]})
        done += 1
    return done, crashes, kept


def main() -> int:
    """Run the fuzzer and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=1_000_000)
    parser.add_argument("--budget-s", type=float, default=1800.0, help="stop after this many seconds")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--batch", type=int, default=2_000)
    parser.add_argument("--crashes", type=Path, default=None, help="write the first crashes here (JSON)")
    args = parser.parse_args()
    started = time.time()
    deadline = started + args.budget_s
    batches = [(args.seed * 1_000_003 + n, min(args.batch, args.inputs - n * args.batch), deadline, 5)
               for n in range((args.inputs + args.batch - 1) // args.batch)]
    total = crashes = 0
    kept: list[dict[str, str]] = []
    with multiprocessing.Pool(args.workers) as pool:
        for done, crashed, examples in pool.imap_unordered(_worker, batches):
            total += done
            crashes += crashed
            kept += examples[: max(0, 20 - len(kept))]
            if total and total % 50_000 < args.batch:
                print(f"... {total:,} inputs, {crashes} crashes, {time.time() - started:.0f} s", file=sys.stderr,
                      flush=True)
    elapsed = time.time() - started
    figures = {"inputs": total, "crashes": crashes, "seconds": round(elapsed, 1),
               "inputs_per_second": round(total / elapsed, 1) if elapsed else None,
               "budget_exhausted": total < args.inputs, "workers": args.workers, "seed": args.seed}
    print(json.dumps(figures))
    for example in kept[:5]:
        print(json.dumps(example, ensure_ascii=True), file=sys.stderr)
    if args.crashes is not None:
        args.crashes.write_text(json.dumps(kept, ensure_ascii=True, indent=1), encoding="utf-8")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
