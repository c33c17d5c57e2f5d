"""``kb lint``: every article file checked for format, links, and the truth of its policies.

Front matter and sections follow kb/FORMAT.md; every ```json block goes through the policy
checker; every scenario is evaluated, so an article's "before" policy reproduces the exact
message it quotes and its "after" policy resolves it. Problems name file, line and what is wrong.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.adapters.articles import LANGS, Article, CodeBlock, article_paths, parse_article
from assistant.engine.cases import CaseError, parse_case
from assistant.engine.catalog import Catalog
from assistant.engine.checker import check_text
from assistant.engine.evaluator import evaluate
from assistant.engine.messages import same_denial
from assistant.engine.model import PolicyType, Severity
from assistant.errors import ArticleError

__all__ = ["LintProblem", "lint_kb"]

_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_REQUIRED: dict[str, type | tuple[type, ...]] = {
    "id": str, "lang": str, "title": str, "summary": str, "tags": list, "errors": list, "related": list,
             "references": list, "updated": (str, datetime.date)}
_ANSWER_READY: dict[str, type] = {"answer": str, "faq": list}
_OPTIONAL: dict[str, type] = {"scenarios": list, "fix": dict}
# The required sections in order: the problem (the article's example), the cause, the fix as steps.
_HEADINGS = {"ja": ("困っていること", "原因", "どう対応すればいいの?"), "en": ("Problem", "Why", "Resolution")}
_FAQ_RANGE = (4, 8)
_SENTENCE_END = re.compile(r"[.!?。！？](?=\s|$|[)）」』])")
_SLOT = re.compile(r"\{\{([a-z][a-z0-9_]*)\}\}")
_SLOT_KINDS = {"account", "user", "role", "bucket", "region", "arn", "action", "name", "string"}
_SLOT_KEYS = {"kind", "sample", "default"}
_REFERENCE = re.compile(r"^https://([a-z0-9-]+\.)*(aws\.amazon\.com|amazonaws\.com|amazon\.com|repost\.aws)/")
_SCENARIO_KEYS = {"name", "request", "expect"}
_EXPECT_KEYS = {"identity_policies", "permission_boundaries", "session_policy", "resource_policy", "scps", "rcps",
                "vpc_endpoint_policies", "decision", "message"}
_REQUEST_KEYS = {"principal", "action", "resource", "resource_account", "context", "wildcard_only_action"}
_BLOCK_WORDS = {"invalid", "fragment", "not-policy", "template"}
_BLOCK_ATTRS = {"name", "type", "expect", "arn"}
_DENIED = "is not authorized to perform"


@dataclass(frozen=True)
class LintProblem:
    """One problem: file, 1-based line, and a one-line description."""

    path: str
    line: int
    problem: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.problem}"


class _ArticleLint:
    def __init__(self, article: Article, text: str, catalog: Catalog, display: str) -> None:
        self.article = article
        self.lines = text.split("\n")
        self.catalog = catalog
        self.display = display
        self.problems: list[LintProblem] = []
        self.policies: dict[str, Any] = {}

    def add(self, line: int, problem: str) -> None:
        self.problems.append(LintProblem(self.display, line, problem))

    def line_of(self, needle: str, default: int = 1) -> int:
        """The first line of the file containing ``needle`` (for front-matter fields)."""
        return next((i for i, line in enumerate(self.lines, start=1) if needle in line), default)

    def front_matter(self, stem: str, folder: str) -> None:
        meta = self.article.meta
        for field, kind in (_REQUIRED | _ANSWER_READY).items():
            if field not in meta:
                self.add(1, f"front matter: '{field}' is missing")
            elif not isinstance(meta[field], kind):
                self.add(self.line_of(f"{field}:"), f"front matter: '{field}' has the wrong type")
        for field in meta:
            if field not in _REQUIRED and field not in _ANSWER_READY and field not in _OPTIONAL:
                self.add(self.line_of(f"{field}:"), f"front matter: unknown field '{field}'")
        if self.article.id != stem:
            self.add(self.line_of("id:"), f"id '{self.article.id}' differs from the file name '{stem}'")
        if not _ID.match(stem):
            self.add(1, f"file name '{stem}' is not lowercase words joined by '-'")
        if self.article.lang != folder:
            self.add(self.line_of("lang:"), f"lang '{self.article.lang}' differs from the folder '{folder}'")
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", self.article.updated):
            self.add(self.line_of("updated:"), f"updated '{self.article.updated}' is not a YYYY-MM-DD date")
        for field in ("title", "summary"):
            if field in meta and not str(meta[field]).strip():
                self.add(self.line_of(f"{field}:"), f"front matter: '{field}' is empty")
        for url in self.article.references:
            if not _REFERENCE.match(url):
                self.add(self.line_of(url), f"reference '{url}' is not an AWS documentation URL")
        if not self.article.references:
            self.add(self.line_of("references:"), "no references: every fact needs its AWS documentation URL")

    def sections(self) -> None:
        expected = _HEADINGS.get(self.article.lang)
        if expected is None:
            return
        headings = [s.heading for s in self.article.sections if s.heading]
        positions = [headings.index(h) if h in headings else -1 for h in expected]
        if headings[:1] != [expected[0]] or -1 in positions or positions != sorted(positions):
            line = self.article.sections[0].line if self.article.sections else 1
            wanted = ", ".join(f"'## {h}'" for h in expected)
            self.add(line, f"the body must have {wanted} in this order, the first one opening it "
                           f"(found {', '.join(repr(h) for h in headings[:4]) or 'no sections'})")

    def answer_parts(self) -> None:
        """The direct answer and the FAQ: whole sentences the composer can quote as they are."""
        meta = self.article.meta
        answer = meta.get("answer")
        if isinstance(answer, str):
            count = len(_SENTENCE_END.findall(answer.strip()))
            if not 1 <= count <= 3 or not _SENTENCE_END.search(answer.strip()[-1:] + " "):
                self.add(self.line_of("answer:"), f"answer: 1–3 whole sentences ending in a full stop (found {count})")
        faq = meta.get("faq")
        if not isinstance(faq, list):
            return
        low, high = _FAQ_RANGE
        if not low <= len(faq) <= high:
            self.add(self.line_of("faq:"), f"faq: {low}–{high} entries (found {len(faq)})")
        for number, entry in enumerate(faq, start=1):
            if not isinstance(entry, dict) or set(entry) != {"q", "a"} or not all(
                    isinstance(entry[k], str) and entry[k].strip() for k in ("q", "a")):
                self.add(self.line_of("faq:"), f"faq entry {number}: needs exactly 'q' and 'a', both text")
                continue
            if not entry["q"].rstrip().endswith(("?", "？")):
                self.add(self.line_of(entry["q"][:30]), f"faq entry {number}: 'q' is not a question")
            if not _SENTENCE_END.search(entry["a"].strip()[-1:] + " "):
                self.add(self.line_of(entry["a"][:30]), f"faq entry {number}: 'a' does not end a sentence")

    def fix(self) -> None:
        """The canonical fix: a template block whose slots are declared, used, and fill to a sound policy."""
        fix = self.article.meta.get("fix")
        if not isinstance(fix, dict):
            return
        line = self.line_of("fix:")
        name = fix.get("policy")
        block = next((b for b in self.article.blocks if b.attrs.get("name") == name and b.lang == "json"), None)
        if block is None:
            self.add(line, f"fix: 'policy' must name a ```json block (found {name!r})")
            return
        slots = fix.get("slots") or {}
        if not isinstance(slots, dict):
            self.add(line, "fix: 'slots' must be a mapping of slot names")
            return
        for slot, spec in slots.items():
            if not isinstance(spec, dict) or set(spec) - _SLOT_KEYS or not isinstance(spec.get("sample"), str):
                self.add(self.line_of(f"{slot}:", line), f"fix slot '{slot}': needs a text 'sample' "
                                                        f"(keys: {', '.join(sorted(_SLOT_KEYS))})")
            elif spec.get("kind", "string") not in _SLOT_KINDS:
                self.add(self.line_of(f"{slot}:", line), f"fix slot '{slot}': unknown kind '{spec.get('kind')}'")
        used = set(_SLOT.findall(block.text))
        for slot in sorted(used - set(slots)):
            self.add(block.line - 1, f"fix: marker '{{{{{slot}}}}}' is not a declared slot")
        for slot in sorted(set(slots) - used):
            self.add(line, f"fix: slot '{slot}' is declared but the block never uses it")
        if used and "template" not in block.flags:
            self.add(block.line - 1, "fix: a block with {{slot}} markers must be marked 'template'")
        value = self.policies.get(str(name))
        if value is not None and "invalid" not in block.flags:
            policy_type = PolicyType(block.attrs.get("type", "identity"))
            checked = check_text(json.dumps(value), policy_type, self.catalog)[0]
            for item in checked.findings:
                if item.severity is Severity.SECURITY_WARNING:
                    self.add(block.line - 1, f"fix: the canonical fix has {item.code}: {item.message}")

    def block(self, block: CodeBlock) -> None:
        for word in block.flags - _BLOCK_WORDS:
            self.add(block.line - 1, f"unknown word '{word}' in the code block's info string")
        for attr in set(block.attrs) - _BLOCK_ATTRS:
            self.add(block.line - 1, f"unknown attribute '{attr}=' in the code block's info string")
        if "fragment" in block.flags or "not-policy" in block.flags:
            try:
                json.loads(block.text)
            except json.JSONDecodeError as exc:
                self.add(block.line + exc.lineno - 1, f"JSON block is not valid JSON: {exc.msg}")
            return
        try:
            policy_type = PolicyType(block.attrs.get("type", "identity"))
        except ValueError:
            self.add(block.line - 1, f"unknown policy type '{block.attrs['type']}'")
            return
        results = check_text(self.filled(block), policy_type, self.catalog)
        checked = results[0]
        errors = [f for f in checked.findings if f.severity is Severity.ERROR]
        if "invalid" in block.flags:
            if not errors:
                self.add(block.line - 1, "block is marked invalid but the checker finds no ERROR")
            missing = [c for c in block.attrs.get("expect", "").split(",") if c and c not in
                       {f.code for f in checked.findings}]
            if missing:
                self.add(block.line - 1, f"block is expected to have {', '.join(missing)}, the checker found "
                                         f"{', '.join(sorted({f.code for f in checked.findings})) or 'nothing'}")
        else:
            for item in errors:
                hint = f" ({item.hint})" if item.hint else ""
                self.add(block.line + (item.line or 1) - 1,
                         f"policy ({policy_type.value}) has {item.code}: {item.message}{hint}")
        name = block.attrs.get("name")
        if name:
            if name in self.policies:
                self.add(block.line - 1, f"block name '{name}' is used twice")
            value = checked.value if checked.value is not None else checked.repaired_value
            if value is None:
                self.add(block.line - 1, f"block '{name}' cannot be read as a policy, even repaired")
            arn = block.attrs.get("arn")
            # A policy with its ARN: scenarios then render today's explicit-deny message, which ends with it.
            self.policies[name] = {"arn": arn, "policy": value} if arn and value is not None else value

    def filled(self, block: CodeBlock) -> str:
        """A template block with every declared slot replaced by its sample (other blocks as they are)."""
        if "template" not in block.flags:
            return block.text
        fix = self.article.meta.get("fix")
        slots = fix.get("slots") if isinstance(fix, dict) else None
        samples = {k: v["sample"] for k, v in (slots or {}).items() if isinstance(v, dict) and "sample" in v}
        return _SLOT.sub(lambda m: str(samples.get(m.group(1), m.group(0))), block.text)

    def scenarios(self) -> set[str]:
        messages: set[str] = set()
        raw = self.article.meta.get("scenarios") or []
        if not isinstance(raw, list):
            return messages
        for number, scenario in enumerate(raw, start=1):
            label = f"scenario {number}"
            if not isinstance(scenario, dict):
                self.add(self.line_of("scenarios:"), f"{label} is not a mapping")
                continue
            label = f"scenario '{scenario.get('name', number)}'"
            line = self.line_of(str(scenario.get("name", "scenarios:")))
            for key in set(scenario) - _SCENARIO_KEYS:
                self.add(line, f"{label}: unknown key '{key}'")
            request = scenario.get("request")
            if not isinstance(request, dict):
                self.add(line, f"{label}: 'request' is missing")
                continue
            for key in set(request) - _REQUEST_KEYS:
                self.add(line, f"{label}: unknown request key '{key}'")
            for entry_number, entry in enumerate(scenario.get("expect") or [], start=1):
                self.expectation(label, line, entry_number, request, entry, messages)
            if not scenario.get("expect"):
                self.add(line, f"{label}: 'expect' is empty")
        return messages

    def _resolve(self, names: Any, label: str, line: int) -> Any:
        if isinstance(names, list):
            return [self._resolve(n, label, line) for n in names]
        if names not in self.policies:
            self.add(line, f"{label}: no policy block named '{names}'")
            raise CaseError("unknown block")
        return self.policies[names]

    def expectation(self, label: str, line: int, number: int, request: dict[str, Any], entry: Any,
                    messages: set[str]) -> None:
        where = f"{label}, expect {number}"
        if not isinstance(entry, dict):
            self.add(line, f"{where}: not a mapping")
            return
        for key in set(entry) - _EXPECT_KEYS:
            self.add(line, f"{where}: unknown key '{key}'")
        case: dict[str, Any] = {"request": request}
        try:
            for key in _EXPECT_KEYS - {"decision", "message"}:
                if key in entry:
                    names = entry[key]
                    if key in ("scps", "rcps"):
                        case[key] = [{"org_identifier": str(i), "policies": self._resolve(level, label, line)}
                                     for i, level in enumerate(names)]
                    else:
                        case[key] = self._resolve(names, label, line)
            evaluation = evaluate(*parse_case(case))
        except CaseError as exc:
            if str(exc) != "unknown block":
                self.add(line, f"{where}: {exc}")
            return
        if entry.get("decision") != evaluation.decision.value:
            self.add(line, f"{where}: expected {entry.get('decision')}, the checker decides "
                           f"{evaluation.decision.value} ({', '.join(k.value for k in evaluation.blocked_by)})")
        if "message" in entry:
            messages.add(entry["message"])
            if not same_denial(entry["message"], evaluation.message):
                self.add(line, f"{where}: message differs; the checker renders: {evaluation.message}")

    def run(self, stem: str, folder: str, ids: set[str]) -> list[LintProblem]:
        self.front_matter(stem, folder)
        self.sections()
        self.answer_parts()
        for block in self.article.blocks:
            if block.lang == "json":
                self.block(block)
        self.fix()
        messages = self.scenarios()
        for error in self.article.errors:
            if _DENIED in error and error not in messages:
                self.add(self.line_of(error[:40]), f"error message is not reproduced by any scenario: {error[:80]}…")
        for related in self.article.related:
            if related not in ids:
                self.add(self.line_of(related), f"related id '{related}' is not an article")
        return self.problems


def lint_kb(kb_dir: Path, catalog: Catalog, paths: Iterable[Path] | None = None) -> tuple[int, list[LintProblem]]:
    """Lint every article (or the given files); the number of files read and the problems found."""
    files = list(paths) if paths is not None else article_paths(kb_dir)
    ids_by_lang = {lang: {p.stem for p in article_paths(kb_dir) if p.parent.name == lang} for lang in LANGS}
    all_ids = set().union(*ids_by_lang.values())
    problems: list[LintProblem] = []
    for lang, ids in ids_by_lang.items():
        for missing in sorted(all_ids - ids):
            problems.append(LintProblem(str(kb_dir / lang / f"{missing}.md"), 1,
                                        f"article '{missing}' has no {lang} version"))
    for path in files:
        display = str(path)
        try:
            text = path.read_text(encoding="utf-8")
            article = parse_article(text, path)
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(LintProblem(display, 1, f"cannot read the file: {exc}"))
            continue
        except ArticleError as exc:
            match = re.search(r":(\d+):", exc.message)
            problems.append(LintProblem(display, int(match.group(1)) if match else 1,
                                        exc.message.split(": ", 1)[-1]))
            continue
        problems += _ArticleLint(article, text, catalog, display).run(path.stem, path.parent.name, all_ids)
    return len(files), problems
