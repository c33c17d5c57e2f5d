"""``kb lint`` catches a broken article of every kind, naming file, line and problem; the sample article is in the
answer-ready format (direct answer, FAQ, cause section, slotted canonical fix)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.kb_lint import lint_kb

POLICY_BEFORE = """{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::amzn-s3-demo-bucket"}
  ]
}"""
POLICY_AFTER = """{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::{{bucket}}/*"}
  ]
}"""
MESSAGE = ("User: arn:aws:iam::123456789012:user/alice is not authorized to perform: s3:GetObject on resource: "
           "arn:aws:s3:::amzn-s3-demo-bucket/key because no identity-based policy allows the s3:GetObject action")

ARTICLE = """---
id: sample-article
lang: {lang}
title: Sample
summary: A sample article.
tags: [s3]
errors:
  - "{message}"
related: []
references:
  - https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html
updated: 2026-11-28
answer: s3:GetObject acts on objects, so Resource must name the objects with /* after the bucket name.
faq:
  - q: Why is GetObject denied when the policy names the bucket?
    a: The bucket ARN matches bucket-level actions only.
  - q: Do I need s3:ListBucket to download a file?
    a: No, only to list keys.
  - q: Is the object key case sensitive?
    a: Yes, it is.
  - q: What does /* after the bucket name mean?
    a: Every object in the bucket.
fix:
  policy: after
  slots:
    bucket:
      kind: bucket
      sample: amzn-s3-demo-bucket
scenarios:
  - name: get-object
    request:
      principal: arn:aws:iam::123456789012:user/alice
      action: s3:GetObject
      resource: arn:aws:s3:::amzn-s3-demo-bucket/key
    expect:
      - identity_policies: [before]
        decision: ImplicitlyDenied
        message: "{message}"
      - identity_policies: [after]
        decision: Allowed
---

## {problem}

The policy below names the bucket, not its objects.

```json invalid name=before
{before}
```

## {why}

S3 actions act on different resource types; s3:GetObject needs the object ARN.

## {resolution}

```json template name=after
{after}
```
"""


def _write(root: Path, lang: str, text: str) -> Path:
    path = root / lang / "sample-article.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _article(lang: str) -> str:
    headings = {"ja": ("困っていること", "原因", "どう対応すればいいの?"), "en": ("Problem", "Why", "Resolution")}[lang]
    # the template's {{slot}} markers would read as format fields, so the policy goes in after formatting
    return ARTICLE.format(lang=lang, message=MESSAGE, problem=headings[0], why=headings[1], resolution=headings[2],
                          before=POLICY_BEFORE, after="@AFTER@").replace("@AFTER@", POLICY_AFTER)


@pytest.fixture()
def kb(tmp_path: Path) -> Path:
    for lang in ("ja", "en"):
        _write(tmp_path, lang, _article(lang))
    return tmp_path


def test_a_well_formed_article_pair_passes(kb, catalog):
    count, problems = lint_kb(kb, catalog)
    # the "before" block is marked invalid because its Resource cannot match s3:GetObject
    assert (count, [str(p) for p in problems]) == (2, [])


BROKEN = [
    ("missing-front-matter-field", lambda t: t.replace("summary: A sample article.\n", ""), 1,
     "'summary' is missing"),
    ("id-differs-from-file", lambda t: t.replace("id: sample-article", "id: other"), 2, "differs from the file name"),
    ("lang-differs-from-folder", lambda t: t.replace("lang: en", "lang: ja"), 3, "differs from the folder"),
    ("bad-date", lambda t: t.replace("updated: 2026-11-28", "updated: yesterday"), 12, "not a YYYY-MM-DD"),
    ("unknown-related-id", lambda t: t.replace("related: []", "related: [no-such-article]"), 9,
     "'no-such-article' is not an article"),
    ("non-aws-reference", lambda t: t.replace("https://docs.aws.amazon.com", "https://example.com"), 11,
     "not an AWS documentation URL"),
    ("wrong-first-heading", lambda t: t.replace("## Problem", "## Background"), 43, "in this order"),
    ("missing-why-section", lambda t: t.replace("## Why", "## Background"), 43, "in this order"),
    ("sections-out-of-order", lambda t: t.replace("## Why", "## @").replace("## Resolution", "## Why").replace(
        "## @", "## Resolution"), 43, "in this order"),
    ("missing-answer", lambda t: re.sub(r"answer: .*\n", "", t), 1, "'answer' is missing"),
    ("answer-of-four-sentences", lambda t: t.replace("bucket name.\nfaq", "bucket name. One. Two. Three.\nfaq"), 13,
     "answer: 1–3 whole sentences"),
    ("missing-faq", lambda t: re.sub(r"faq:\n(  .*\n)+", "", t), 1, "'faq' is missing"),
    ("too-few-faq-entries", lambda t: re.sub(r"  - q: Is the object.*\n.*\n", "", t), 14,
     "faq: 4–8 entries (found 3)"),
    ("faq-q-not-a-question", lambda t: t.replace("download a file?", "download a file."), 17,
     "'q' is not a question"),
    ("undeclared-slot", lambda t: t.replace("{{bucket}}/*", "{{bucket_name}}/*"), 62,
     "marker '{{bucket_name}}' is not a declared slot"),
    ("unused-slot", lambda t: t.replace("  slots:\n", "  slots:\n    region:\n      kind: region\n"
                                                      "      sample: us-east-1\n"), 23,
     "slot 'region' is declared but the block never uses it"),
    ("over-permissive-template", lambda t: t.replace(
        '"Action": "s3:GetObject", "Resource": "arn:aws:s3:::{{bucket}}/*"',
        '"Action": ["iam:PassRole", "s3:GetObject"], "Resource": ["*", "arn:aws:s3:::{{bucket}}/*"]'), 62,
     "the canonical fix has PASS_ROLE_WITH_STAR"),
    ("fix-names-no-block", lambda t: t.replace("policy: after", "policy: afterwards"), 23,
     "'policy' must name a ```json block"),
    ("invalid-json-in-a-correct-block", lambda t: t.replace('"arn:aws:s3:::{{bucket}}/*"}',
                                                            '"arn:aws:s3:::{{bucket}}/*",}'), 66, "INVALID_JSON"),
    ("correct-block-with-an-error", lambda t: t.replace('"Resource": "arn:aws:s3:::{{bucket}}/*"',
                                                        '"Resource": "arn:aws:s3:::{{bucket}}/*", "Principal": "*"'),
     66, "PRINCIPAL_NOT_ALLOWED"),
    ("broken-block-that-is-fine", lambda t: t.replace('"arn:aws:s3:::amzn-s3-demo-bucket"}',
                                                      '"arn:aws:s3:::amzn-s3-demo-bucket/*"}'), 47,
     "marked invalid but the checker finds no ERROR"),
    ("scenario-decision-wrong", lambda t: t.replace("decision: Allowed", "decision: ExplicitlyDenied"), 30,
     "expected ExplicitlyDenied, the checker decides Allowed"),
    ("scenario-message-wrong", lambda t: t.replace('message: "User', 'message: "Usr'), 30, "message differs"),
    ("scenario-unknown-block", lambda t: t.replace("[after]", "[afterwards]"), 30, "no policy block named"),
    ("error-not-reproduced", lambda t: t.replace("errors:\n", "errors:\n  - \"User: x is not authorized to perform: "
                                                              "s3:PutObject\"\n"), 8, "not reproduced by any scenario"),
    ("unclosed-fence", lambda t: t.rstrip().removesuffix("```"), 62, "unclosed code fence"),
]


@pytest.mark.parametrize(("mutate", "line", "expected"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_each_kind_of_broken_article_is_caught(kb, catalog, mutate, line, expected):
    path = _write(kb, "en", mutate(_article("en")))
    _, problems = lint_kb(kb, catalog)
    matching = [p for p in problems if expected in p.problem]
    assert matching, [str(p) for p in problems]
    assert matching[0].path == str(path)
    assert matching[0].line == line, str(matching[0])


def test_a_missing_language_version_is_reported(kb, catalog):
    (kb / "ja" / "sample-article.md").unlink()
    _, problems = lint_kb(kb, catalog)
    assert [p.problem for p in problems] == ["article 'sample-article' has no ja version"]


DENY_ARN = "arn:aws:iam::123456789012:policy/DenyReports"
DENY_POLICY = """{
  "Version": "2012-10-17",
  "Statement": [{"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"}]
}"""


@pytest.mark.parametrize(("message", "problems"), [
    # today's explicit deny within the account ends with the denying policy's ARN: lint renders it from arn=
    (f"with an explicit deny in an identity-based policy: {DENY_ARN}", 0),
    ("with an explicit deny in an identity-based policy: arn:aws:iam::123456789012:policy/Other", 1),
])
def test_a_block_arn_makes_the_scenario_render_todays_explicit_deny(kb, catalog, message, problems):
    full = ("User: arn:aws:iam::123456789012:user/alice is not authorized to perform: s3:GetObject on resource: "
            f'"arn:aws:s3:::amzn-s3-demo-bucket/key" {message}')
    text = _article("en").replace(
        "      - identity_policies: [after]\n        decision: Allowed\n",
        "      - identity_policies: [after]\n        decision: Allowed\n"
        "      - identity_policies: [after, deny]\n        decision: ExplicitlyDenied\n"
        f"        message: '{full}'\n",
    ) + f"\n```json name=deny arn={DENY_ARN}\n{DENY_POLICY}\n```\n"
    _write(kb, "en", text)
    _, found = lint_kb(kb, catalog)
    assert len([p for p in found if "message differs" in p.problem]) == problems, [str(p) for p in found]
