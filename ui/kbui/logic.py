"""What the pages compute, kept apart from Streamlit so it can be tested directly: diffs, badges,
the language to speak, article search and excerpts, and the policy-checker page's run of the
engine (check → diagnose → verified fix), all through the project's public modules.
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from assistant.adapters.articles import Article
from assistant.engine.catalog import Catalog
from assistant.engine.checker import CheckedPolicy, check_text
from assistant.engine.model import PolicyType
from assistant.pipeline.diagnosis import diagnose
from assistant.pipeline.question import detect_language
from assistant.wire import check_document, proposal_json

__all__ = ["CheckerReport", "MfaContext", "age", "article_excerpt", "badge_of", "choose_language", "diff_base",
           "escape_markdown",
           "pretty", "request_message", "run_checker", "safe_markdown", "search_articles", "side_by_side",
           "unified_diff"]


def pretty(value: Any) -> str:
    """A JSON value as the indented text users copy into the AWS console."""
    return json.dumps(value, indent=2, ensure_ascii=False)


def side_by_side(before: str, after: str) -> tuple[str, str]:
    """Two aligned columns (difflib opcodes): '-' lines only before, '+' lines only after, blank padding."""
    left: list[str] = []
    right: list[str] = []
    a, b = before.splitlines(), after.splitlines()
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            left += [f"  {line}" for line in a[i1:i2]]
            right += [f"  {line}" for line in b[j1:j2]]
            continue
        old, new = a[i1:i2], b[j1:j2]
        for k in range(max(len(old), len(new))):
            left.append("- " + old[k] if k < len(old) else "")
            right.append("+ " + new[k] if k < len(new) else "")
    return "\n".join(left), "\n".join(right)


def unified_diff(before: str, after: str, labels: tuple[str, str] = ("before", "after")) -> str:
    """A unified diff of two texts."""
    return "\n".join(difflib.unified_diff(before.splitlines(), after.splitlines(), labels[0], labels[1],
                                          lineterm=""))


_CODE = re.compile(r"(```.*?(?:```|\Z)|~~~.*?(?:~~~|\Z)|`[^`\n]*`)", re.DOTALL)
_INTRAWORD_STAR = re.compile(r"(?<=[^\s*\\])\*(?=[^\s*])")


def safe_markdown(text: str) -> str:
    """Markdown with the prose's ``$`` and intra-word ``*`` escaped, so that ARNs such as
    ``arn:aws:iam::*:mfa/${aws:username}`` are not read as LaTeX or emphasis; code is left alone."""
    parts = _CODE.split(text)
    for i in range(0, len(parts), 2):  # even parts are prose, odd parts are code
        parts[i] = _INTRAWORD_STAR.sub(r"\\*", parts[i].replace("$", "\\$"))
    return "".join(parts)


def escape_markdown(text: str) -> str:
    """Plain text (user values, engine messages) made literal for ``st.markdown``."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$])", r"\\\1", text)


def badge_of(entry: Mapping[str, Any]) -> str:
    """The checker's badge for one policy entry of an answer: ``verified``, ``valid`` or ``invalid``."""
    if entry.get("verified"):
        return "verified"
    return "valid" if entry.get("valid") else "invalid"


def diff_base(policies: Sequence[Mapping[str, Any]], fixed: Any) -> Any:
    """The user's policy a fix was made from: the pasted policy whose text is closest to the fix."""
    target = pretty(fixed)
    pasted = [p["json"] for p in policies if p.get("source") == "question" and isinstance(p.get("json"), dict)]
    if not pasted:
        return None
    return max(pasted, key=lambda value: difflib.SequenceMatcher(None, pretty(value), target,
                                                                 autojunk=False).ratio())


def choose_language(choice: str, questions: Iterable[str], locale: str | None) -> str:
    """The UI language: the choice, else the latest question's language, else the browser's (ja first)."""
    if choice in ("ja", "en"):
        return choice
    latest = [q for q in questions if q and q.strip()]
    if latest:
        return detect_language(latest[-1])
    if locale and not locale.lower().startswith("ja") and locale.strip():
        return "en"
    return "ja"


def _normal(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _haystack(article: Article) -> str:
    return _normal(" ".join([article.id, article.title, article.summary, " ".join(article.tags),
                             " ".join(article.errors), article.body]))


def search_articles(articles: Iterable[Article], query: str, lang: str) -> list[Article]:
    """The articles in ``lang`` that contain every word of ``query`` (width- and case-insensitive), by title."""
    words = _normal(query).split()
    found = [a for a in articles if a.lang == lang and all(w in _haystack(a) for w in words)]
    if words:  # a word in the title ranks first
        return sorted(found, key=lambda a: (not any(w in _normal(a.title) for w in words), a.title))
    return sorted(found, key=lambda a: a.title)


_FENCE = re.compile(r"```.*?```", re.DOTALL)


def article_excerpt(article: Article, limit: int = 600) -> str:
    """The summary, then the start of the resolution section (code blocks left out), cut at ``limit``."""
    resolution = [s for s in article.sections if s.heading in ("どう対応すればいいの?", "Resolution")]
    body = resolution[0].text if resolution else (article.sections[0].text if article.sections else "")
    text = article.summary.strip() + "\n\n" + _FENCE.sub("", body).strip()
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


_UNITS = {"en": {"d": "d", "h": "h", "min": "min", "s": "s"}, "ja": {"d": "日", "h": "時間", "min": "分", "s": "秒"}}


def age(published: str, now: datetime | None = None, lang: str = "en") -> str:
    """How long ago an ISO timestamp was, roughly (``3 min``, ``2 h``, ``5 d``; ``3 分`` in Japanese);
    ``?`` when unreadable."""
    try:
        then = datetime.fromisoformat(published)
    except ValueError:
        return "?"
    if then.tzinfo is None:
        then = then.replace(tzinfo=UTC)
    seconds = max(0.0, ((now or datetime.now(UTC)) - then).total_seconds())
    units = _UNITS.get(lang, _UNITS["en"])
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {units[unit]}"
    return f"{int(seconds)} {units['s']}"


class MfaContext:
    """The sign-in the checker page assumes: the value of aws:MultiFactorAuthPresent, or absent."""

    FALSE = "false"
    TRUE = "true"
    ABSENT = "absent"
    ALL = (FALSE, TRUE, ABSENT)


@dataclass(frozen=True)
class CheckerReport:
    """The policy-checker page's result: the ``check`` document, diagnoses and a verified fix (or not)."""

    check: dict[str, Any]
    checked: tuple[CheckedPolicy, ...]
    diagnoses: tuple[dict[str, Any], ...] = ()
    fix: dict[str, Any] | None = None
    originals: tuple[Any, ...] = ()
    repaired: bool = False
    simulated: bool = False


def request_message(principal: str, action: str, resource: str) -> str:
    """A request written as the access-denied message it would produce, for ``diagnose`` to read."""
    on = f" on resource: {resource.strip()}" if resource.strip() else ""
    return f"User: {principal.strip()} is not authorized to perform: {action.strip()}{on}"


def run_checker(policy_text: str, policy_type: PolicyType, errors_text: str, catalog: Catalog,
                mfa: str = MfaContext.FALSE) -> CheckerReport:
    """Validate the pasted policy; with error messages, reproduce them and propose a verified fix."""
    checked = check_text(policy_text, policy_type, catalog)
    document = check_document(checked, policy_type)
    if not errors_text.strip():
        return CheckerReport(document, checked)
    usable = [c for c in checked if c.usable_policy is not None]
    repaired = any(c.policy is None for c in usable)
    originals = tuple(c.value if c.policy is not None else c.repaired_value for c in usable)
    if policy_type is not PolicyType.IDENTITY:
        usable, originals = [], ()
    extra = {"aws:multifactorauthpresent": (mfa,)} if mfa in (MfaContext.FALSE, MfaContext.TRUE) else {}
    report = diagnose(errors_text, originals, [c.usable_policy for c in usable if c.usable_policy is not None],
                      catalog, extra)
    fix = proposal_json(report.proposal, originals, catalog) if report.proposal else None
    return CheckerReport(document, checked, tuple(d.to_json() for d in report.diagnoses), fix, originals,
                         repaired, simulated=bool(usable))
