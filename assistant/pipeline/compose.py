"""Choosing from an article what answers this customer: the best FAQ entry for the question's wording,
the section for its intent as whole paragraphs without the article's example, and the canonical fix
filled with the customer's values and checked by the engine.

Nothing here writes prose of its own; ``plan`` orders what is chosen and ``render`` words it.
"""

from __future__ import annotations

import difflib
import itertools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assistant.adapters.articles import Article, FaqEntry, Slot
from assistant.engine.cases import CaseError, parse_case
from assistant.engine.catalog import Catalog
from assistant.engine.checker import check_text, check_value
from assistant.engine.evaluator import PolicySet, evaluate
from assistant.engine.grants import Grant
from assistant.engine.model import Decision, Finding, PolicyType, Request, Severity
from assistant.engine.propose import Edit
from assistant.pipeline.question import Facts, Intent

__all__ = ["CandidateCheck", "Fix", "FixSource", "adapt", "article_policies", "asks_its_point", "checks_heading",
           "example_names",
           "fill_fix", "policy_diff", "rank_faq", "section_kinds", "section_paragraphs", "security_warnings"]

_CAUSE = ("原因", "Why")
_STEPS = ("どう対応すればいいの?", "Resolution")
_CAUSE_INTENTS = frozenset({Intent.WHY, Intent.WHAT, Intent.DIFFERENCE, Intent.YES_NO, Intent.REVIEW})
_MAX_PARAGRAPHS = 12
_SLOT = re.compile(r"\{\{([a-z][a-z0-9_]*)\}\}")
_ARN_TEXT = re.compile(r"\barn:aws[a-z-]*:[^\s`\"',)]*")
# Paths AWS itself defines in IAM ARNs (service-linked and Identity Center roles): never an example's name.
_AWS_PATHS = frozenset({"aws-service-role", "aws-reserved", "service-role", "sso.amazonaws.com"})
_DISTINCT = re.compile(r"(?=.{4,}$)(?:\d{12}|.*[-_\d].*|.*[a-z][A-Z].*)")  # as a made-up name looks
# people's names the examples use for a user or a session (AWS's documentation and this KB): too plain for
# _DISTINCT, yet the article's own, while plain role-like names (deployer, build, ci) are also ordinary words
_SAMPLE_PEOPLE = frozenset({"alice", "bob", "carol", "jane", "janedoe", "john", "johndoe", "mary", "paulo", "mateo",
                            "akua", "richard", "saanvi", "martha", "nikki", "diego", "tanaka", "sato", "suzuki",
                            "hanako", "taro", "yamada"})
_PLACEHOLDER = re.compile(r"<[a-z][a-z0-9_-]*>")
_PLACEHOLDER_KINDS = {"bucket": "bucket", "bucket-name": "bucket", "account": "account", "account-id": "account",
                      "region": "region", "user": "user", "user-name": "user", "role": "role", "role-name": "role"}
# sentences that send the customer elsewhere instead of answering, and unfilled upper-case placeholders
_POINTS_AWAY = re.compile(r"を参照|記事を確認してください|(?i:\bsee `)|"
                          r"(?i:see the (?:related |other |policy )?(?:example in the )?article)|<[A-Z][A-Z0-9_-]{2,}>")
# sentences about the article's own example ("the user's current policy…"), which the customer may not share
_EXAMPLE_TALK = re.compile(r"現在のポリシー|修正後のポリシー|この例では|(?i:the user's current policy|the fixed policy|"
                           r"in this example|the example's)")
_SERVICE_PRINCIPAL = ".amazonaws.com"
_GENERIC_SERVICES = frozenset({"iam", "sts", "aws", "organizations", "github"})
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
# a name made up for the example (alice-example, IAM-MFA, my-cluster): letters with a hyphen or a digit, no
# dots, colons or slashes (those are ARNs, service names and actions, which the customer's answer may need)
_EXAMPLE_SPAN = re.compile(r"(?=[\w-]*[-\d])[A-Za-z][\w-]*")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_WORD = re.compile(r"[a-z0-9]+(?:[:_-][a-z0-9]+)*")
_STOP = frozenset({"a", "an", "the", "i", "my", "me", "we", "our", "you", "your", "it", "is", "are", "was", "be",
                   "to", "of", "in", "on", "for", "with", "and", "or", "do", "does", "can", "how", "what", "why",
                   "when", "this", "that", "which", "there", "not", "no"})
_REPLACES_POLICY = re.compile(r"置き換え|差し替え|ポリシー例|次のポリシー|\breplace\b|\bswap\b|example policy|"
                              r"policy example|the following policy", re.IGNORECASE)
_FENCE_OPEN = re.compile(r"^\s*(```|~~~)\s*(\w*)")
_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_NUMBERED = re.compile(r"^(\d+)(?=[.)]\s)")


class FixSource:
    """Where a shown fix comes from."""

    ENGINE = "engine"  # proposed for the customer's pasted policy and verified against their errors
    ARTICLE = "article"  # the article's canonical fix, filled with the customer's values and checked


@dataclass(frozen=True)
class Fix:
    """A fix to show: the policy, the customer's original (engine fixes), the edits, what it newly allows."""

    policy: dict[str, Any]
    original: dict[str, Any] | None
    edits: tuple[Edit, ...]
    grants: tuple[Grant, ...]
    resolves: tuple[str, ...]
    source: str = FixSource.ENGINE
    policy_type: str = "identity"
    filled: tuple[tuple[str, str, bool], ...] = ()  # (slot kind, value, whether it is the slot's default)
    scenarios: tuple[str, ...] = ()  # the article's scenarios it was checked on, with the customer's values


@dataclass(frozen=True)
class CandidateCheck:
    """A policy the user pasted besides the attached one, checked as a fix: what it resolves."""

    number: int
    resolves: tuple[str, ...]
    misses: tuple[str, ...]
    repaired: bool


def policy_diff(original: dict[str, Any], fixed: dict[str, Any]) -> str:
    """A unified diff of two policies, pretty-printed."""
    before = json.dumps(original, indent=2, ensure_ascii=False).splitlines()
    after = json.dumps(fixed, indent=2, ensure_ascii=False).splitlines()
    return "\n".join(difflib.unified_diff(before, after, "before", "after", lineterm=""))


# --- the best FAQ entry --------------------------------------------------------------------------

def _terms(text: str) -> set[str]:
    """Words (Latin) and character bigrams (Japanese): enough to tell which FAQ question is asked."""
    lowered = text.lower()
    words = {w for w in _WORD.findall(lowered) if w not in _STOP}
    cjk = re.sub(r"[^\u3040-\u30ff\u4e00-\u9fff]", " ", lowered)
    bigrams = {chunk[i:i + 2] for chunk in cjk.split() for i in range(len(chunk) - 1)}
    return words | bigrams


def rank_faq(article: Article, question: str) -> list[tuple[float, FaqEntry]]:
    """The article's FAQ entries, best match for the question first, with their scores (0..1)."""
    asked = _terms(question)
    scored = []
    for entry in article.faq:
        terms = _terms(entry.q)
        score = len(asked & terms) / len(terms) if terms else 0.0
        scored.append((round(score, 3), entry))
    return sorted(scored, key=lambda pair: -pair[0])


def asks_its_point(article: Article, question: str, entry: FaqEntry) -> bool:
    """Whether the question shares with an FAQ question a word beyond the article's topic: the title's words
    ("session policy") and Japanese particles and endings (いくつですか) tell no two entries apart, so a
    question that matches "How large can a session policy be?" only in those asks something else."""
    point = {t for t in _terms(entry.q) - _terms(article.title) if not re.search(r"[\u3040-\u309f]", t)}
    return not point or bool(point & _terms(question))


# --- the article's example -----------------------------------------------------------------------

def example_names(article: Article) -> dict[str, str]:
    """Names that belong to the article's example, each with its kind (account, bucket, user, role, name):
    accounts and resource names in the article's ARNs, made-up names in its problem, Sids, slot samples."""
    problem = article.sections[0].text if article.sections else ""
    texts = [article.body, *article.errors, json.dumps(list(article.scenarios), default=str)]
    names: dict[str, str] = {span: "name" for span in _CODE_SPAN.findall(problem)
                             if _EXAMPLE_SPAN.fullmatch(span) and not _DATE.fullmatch(span)}
    for block in article.blocks:  # the fix's Sids too: a customer with their own policy has none of them
        names.update((sid, "name") for sid in re.findall(r'"Sid"\s*:\s*"([^"]+)"', block.text))
    for text in texts:
        for arn in _ARN_TEXT.findall(text):
            parts = arn.split(":", 5)
            if len(parts) < 6 or (parts[4] and not re.fullmatch(r"\d{12}", parts[4])):
                continue  # an AWS-owned ARN (account "aws", "cloudfront"…) names AWS's things, not the example's
            if parts[4]:
                names[parts[4]] = "account"
            kind = "bucket" if parts[2] == "s3" else "name"
            segments = parts[5].split("/")
            for position, part in enumerate(segments):
                if position == 1 and parts[5].startswith(("user/", "role/", "assumed-role/")):
                    kind = "user" if parts[5].startswith("user/") else "role"
                typed = position == 0 and kind != "bucket" and len(segments) > 1  # user/, oidc-provider/…
                plain_person = kind in ("user", "role") and position >= 1 and part in _SAMPLE_PEOPLE
                if not typed and part not in _AWS_PATHS and (_DISTINCT.fullmatch(part) or plain_person) \
                        and "$" not in part and "*" not in part and "?" not in part:
                    names.setdefault(part, kind if position <= 1 else "name")
                kind = "name" if kind == "bucket" else kind
    if article.fix is not None:
        names.update((s.sample, s.kind) for s in article.fix.slots if _DISTINCT.fullmatch(s.sample))
    return {n: k for n, k in names.items() if not n.startswith("$") and n not in ("*", "aws")}


def _mentions(text: str, names: Iterable[str]) -> list[str]:
    return [n for n in names if re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", text)]


def adapt(text: str, hidden: Mapping[str, str], facts: Facts) -> str | None:
    """Text with the article's example names and ``<placeholder>`` slots replaced by the customer's values of
    the same kind; None when one has no such value (the text would tell the example as theirs)."""
    for name in _mentions(text, hidden):
        values = facts.values(hidden[name])
        if not values:
            return None
        text = re.sub(rf"(?<![\w-]){re.escape(name)}(?![\w-])", values[0], text)
    for placeholder in set(_PLACEHOLDER.findall(text)):
        values = facts.values(_PLACEHOLDER_KINDS.get(placeholder.strip("<>"), ""))
        if not values:
            return None
        text = text.replace(placeholder, values[0])
    return text


# --- the section for the intent ------------------------------------------------------------------

def _units(text: str) -> list[str]:
    """Blank-line separated paragraphs; a fenced block stays whole; list items are units of their own."""
    units: list[str] = []
    current: list[str] = []
    fenced = False

    def flush() -> None:
        if current:  # the indent stays: it tells a list item's continuation (its command block) from a paragraph
            units.append("\n".join(current).strip("\n").rstrip())
            current.clear()

    for line in text.split("\n"):
        if _FENCE_OPEN.match(line):
            if not fenced:
                flush()
            fenced = not fenced
            current.append(line)
            if not fenced:
                flush()
            continue
        if fenced:
            current.append(line)
            continue
        if not line.strip():
            flush()
        elif _ITEM.match(line) and not line.startswith("  "):
            flush()
            current.append(line)
        else:
            current.append(line)
    flush()
    return [u for u in units if u]


def section_kinds(intent: Intent) -> tuple[str, str]:
    """The article sections in the order this intent reads them: why-like questions the cause first."""
    return ("cause", "steps") if intent in _CAUSE_INTENTS else ("steps", "cause")


def checks_heading(article: Article) -> str | None:
    """The heading of the article's first section after the required three (``## Checks``, ``## 確認のポイント``)."""
    required = {*_CAUSE, *_STEPS, "Problem", "困っていること"}
    return next((s.heading for s in article.sections[1:] if s.heading and s.heading not in required), None)


def _broken_example(units: Sequence[str]) -> bool:
    """Whether a sub-section shows a policy marked broken (a "quick fix" the article warns about)."""
    return any(re.match(r"^\s*(```|~~~)\s*json\b[^\n]*\binvalid\b", u) for u in units)


def section_paragraphs(article: Article, kind: str, hidden: Mapping[str, str], facts: Facts,
                       other_fix: bool = False) -> tuple[str, ...]:
    """One section ("cause", "steps" or an extra section's heading) as whole paragraphs: no policy JSON
    (policies reach the customer only through the checker), no sub-section about a broken example, no
    paragraph that names the article's example, none that only introduces a block left out; with
    ``other_fix`` (the engine's fix for the customer's own policy is shown) none that recommends the
    article's policy instead."""
    section = article.section(*(_CAUSE if kind == "cause" else _STEPS if kind == "steps" else (kind,)))
    if section is None:
        return ()
    units = _units(section.text)
    kept: list[tuple[int, str]] = []
    skipping = False
    item_dropped = False  # a list item left out takes its indented continuation (its command block) with it
    for position, unit in enumerate(units):
        if unit[:1].isspace():
            if item_dropped:
                continue
        else:
            item_dropped = bool(_ITEM.match(unit))
        if unit.startswith("#"):
            following = list(itertools.takewhile(lambda u: not u.startswith("#"), units[position + 1:]))
            skipping = _broken_example(following)
            if not skipping:
                kept.append((position, "**" + unit.lstrip("#").strip() + "**"))
            continue
        if skipping:
            continue
        fence = _FENCE_OPEN.match(unit)
        if fence and fence.group(2).lower() == "json":
            continue
        adapted = adapt(unit, hidden, facts)
        if adapted is None or _POINTS_AWAY.search(unit) or _EXAMPLE_TALK.search(unit) or (
                other_fix and _REPLACES_POLICY.search(unit)):
            continue
        kept.append((position, adapted))
        item_dropped = False
    # a lead-in ("…:") or a sub-heading stays only when what it introduces, the unit right after it, stays too
    chosen = [text for number, (position, text) in enumerate(kept)
              if not (text.rstrip().endswith((":", "：")) or (text.startswith("**") and text.endswith("**")))
              or (number + 1 < len(kept) and kept[number + 1][0] == position + 1)]
    chosen = chosen[:_MAX_PARAGRAPHS]
    while chosen and (chosen[-1].rstrip().endswith((":", "：")) or chosen[-1].endswith("**")):  # beyond the cap
        chosen.pop()
    return _renumbered(chosen)


def _renumbered(units: Sequence[str]) -> tuple[str, ...]:
    """Numbered steps counted again after some were left out: no gaps, no list that starts at 3. A list
    starts again at a sub-heading or where the article itself starts one at 1."""
    out: list[str] = []
    count = 0
    for unit in units:
        number = _NUMBERED.match(unit)
        if number:
            count = 1 if number.group(1) == "1" else count + 1
            unit = str(count) + unit[number.end():]
        elif unit.startswith("**") and unit.endswith("**"):
            count = 0
        out.append(unit)
    return tuple(out)


# --- the canonical fix, filled -------------------------------------------------------------------

def article_policies(article: Article, catalog: Catalog) -> dict[str, Any]:
    """The article's named policy blocks as JSON values (a broken one as the checker repairs it)."""
    found: dict[str, Any] = {}
    for block in article.blocks:
        name = block.attrs.get("name")
        if block.lang != "json" or not name or "template" in block.flags:
            continue
        checked = check_text(block.text, PolicyType.IDENTITY, catalog)[0]
        value = checked.value if checked.value is not None else checked.repaired_value
        if value is not None:
            found[name] = value
    return found


def _slot_value(slot: Slot, facts: Facts) -> tuple[str | None, bool]:
    values = facts.values(slot.kind)
    if values:
        return values[0], False
    named = [s for s in facts.services if s not in _GENERIC_SERVICES]
    if slot.sample.endswith(_SERVICE_PRINCIPAL) and named:  # "to Lambda" names the service principal
        return named[0] + _SERVICE_PRINCIPAL, False
    return slot.default, slot.default is not None


def _replace(value: Any, mapping: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        for old, new in mapping.items():
            value = value.replace(old, new)
        return value
    if isinstance(value, list):
        return [_replace(v, mapping) for v in value]
    if isinstance(value, dict):
        return {k: _replace(v, mapping) for k, v in value.items()}
    return value


def _checks(article: Article, policy: dict[str, Any], samples: Mapping[str, str], requests: Sequence[Request],
            catalog: Catalog) -> tuple[bool, tuple[str, ...]]:
    """Whether the filled fix allows the customer's denied requests (identity fixes), else the article's
    scenarios with the samples replaced by the customer's values; and what it was checked on."""
    assert article.fix is not None
    policy_type = article.fix.policy_type
    checked = check_value(policy, PolicyType(policy_type), catalog)
    if not checked.valid or any(f.severity is Severity.SECURITY_WARNING for f in checked.findings):
        return False, ()
    if requests and policy_type == "identity" and checked.policy is not None:
        allowed = [evaluate(PolicySet(identity=(checked.policy,)), r).decision is Decision.ALLOWED for r in requests]
        return all(allowed), tuple(r.label for r in requests)
    others = article_policies(article, catalog)
    name = article.fix.block
    labels: list[str] = []
    for scenario in article.scenarios:
        for entry in scenario.get("expect") or ():
            if not isinstance(entry, dict) or entry.get("decision") != "Allowed":
                continue
            named = [k for k, v in entry.items() if name in (v if isinstance(v, list) else [v])
                     or any(isinstance(level, list) and name in level for level in (v if isinstance(v, list) else []))]
            if not named:
                continue
            case: dict[str, Any] = {"request": _replace(scenario.get("request"), samples)}
            for key, names in entry.items():
                if key in ("decision", "message"):
                    continue
                pick = (lambda n: policy if n == name else others.get(n))  # noqa: E731
                if key in ("scps", "rcps"):
                    case[key] = [{"org_identifier": str(i), "policies": [pick(n) for n in level]}
                                 for i, level in enumerate(names)]
                elif isinstance(names, list):
                    case[key] = [pick(n) for n in names]
                else:
                    case[key] = pick(names)
            try:
                decision = evaluate(*parse_case(case)).decision
            except CaseError:
                return False, ()
            if decision is not Decision.ALLOWED:
                return False, ()
            labels.append(str(scenario.get("name", "")))
    return True, tuple(labels)


def fill_fix(article: Article, facts: Facts, requests: Sequence[Request],
             catalog: Catalog) -> tuple[Fix | None, tuple[Slot, ...]]:
    """The article's canonical fix with the customer's values (or slot defaults), checked by the engine;
    else the slots that have no value (the answer asks for exactly those)."""
    template = article.fix
    if template is None:
        return None, ()
    filled: list[tuple[str, str, bool]] = []
    values: dict[str, str] = {}
    missing: list[Slot] = []
    for slot in template.slots:
        value, defaulted = _slot_value(slot, facts)
        if value is None:
            missing.append(slot)
        else:
            filled.append((slot.kind, value, defaulted))
            values[slot.name] = value
    if missing:
        return None, tuple(missing)
    text = _SLOT.sub(lambda m: json.dumps(values.get(m.group(1), ""))[1:-1], template.text)
    try:
        policy = json.loads(text)
    except json.JSONDecodeError:
        return None, ()
    samples = {s.sample: values[s.name] for s in template.slots if s.sample and s.sample != values[s.name]}
    ok, on = _checks(article, policy, samples, requests, catalog)
    if not ok or not isinstance(policy, dict):
        return None, ()
    resolves, scenarios = (on, ()) if requests else ((), on)
    return Fix(policy, None, (), (), resolves, FixSource.ARTICLE, template.policy_type, tuple(filled),
               scenarios), ()


def security_warnings(findings: Sequence[Finding]) -> tuple[Finding, ...]:
    """The SECURITY_WARNING findings among a policy's findings."""
    return tuple(f for f in findings if f.severity is Severity.SECURITY_WARNING)
