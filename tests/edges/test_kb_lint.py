"""``kb lint`` catches a broken article of every kind, naming file, line and problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.kb_lint import lint_kb

POLICY_BEFORE = """{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket"}
  ]
}"""
POLICY_AFTER = """{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"}
  ]
}"""
MESSAGE = ("User: arn:aws:iam::123456789012:user/alice is not authorized to perform: s3:GetObject on resource: "
           "arn:aws:s3:::bucket/key because no identity-based policy allows the s3:GetObject action")

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
scenarios:
  - name: get-object
    request:
      principal: arn:aws:iam::123456789012:user/alice
      action: s3:GetObject
      resource: arn:aws:s3:::bucket/key
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

## {resolution}

```json name=after
{after}
```
"""


def _write(root: Path, lang: str, text: str) -> Path:
    path = root / lang / "sample-article.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _article(lang: str) -> str:
    headings = {"ja": ("困っていること", "どう対応すればいいの?"), "en": ("Problem", "Resolution")}[lang]
    return ARTICLE.format(lang=lang, message=MESSAGE, problem=headings[0], resolution=headings[1],
                          before=POLICY_BEFORE, after=POLICY_AFTER)


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
    ("wrong-first-heading", lambda t: t.replace("## Problem", "## Background"), 27, "must open with '## Problem'"),
    ("invalid-json-in-a-correct-block", lambda t: t.replace('"s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"',
                                                            '"s3:GetObject", "Resource": "arn:aws:s3:::bucket/*",'),
     46, "INVALID_JSON"),
    ("correct-block-with-an-error", lambda t: t.replace('"Resource": "arn:aws:s3:::bucket/*"',
                                                        '"Resource": "arn:aws:s3:::bucket/*", "Principal": "*"'),
     46, "PRINCIPAL_NOT_ALLOWED"),
    ("broken-block-that-is-fine", lambda t: t.replace('"arn:aws:s3:::bucket"}', '"arn:aws:s3:::bucket/*"}'), 31,
     "marked invalid but the checker finds no ERROR"),
    ("scenario-decision-wrong", lambda t: t.replace("decision: Allowed", "decision: ExplicitlyDenied"), 14,
     "expected ExplicitlyDenied, the checker decides Allowed"),
    ("scenario-message-wrong", lambda t: t.replace('message: "User', 'message: "Usr'), 14, "message differs"),
    ("scenario-unknown-block", lambda t: t.replace("[after]", "[afterwards]"), 14, "no policy block named"),
    ("error-not-reproduced", lambda t: t.replace("errors:\n", "errors:\n  - \"User: x is not authorized to perform: "
                                                              "s3:PutObject\"\n"), 8, "not reproduced by any scenario"),
    ("unclosed-fence", lambda t: t.rstrip().removesuffix("```"), 42, "unclosed code fence"),
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
