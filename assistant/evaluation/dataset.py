"""Evaluation datasets: JSON Lines questions (schema in eval/datasets/README.md), read and validated.

A dataset is a file, a directory of ``*.jsonl`` files or a glob; every problem of every line is
collected and reported together (file:line: problem), so a broken dataset is fixed in one pass.
The dataset hash is over the questions sorted by id, so the merged public set and its parts agree.
"""

from __future__ import annotations

import glob
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import UsageError
from assistant.evaluation.redteam import assertion_problem

__all__ = ["DECISIONS", "LANGS", "POLICY_TYPES", "Dataset", "EvalQuestion", "ExpectedDiagnosis", "load_dataset",
           "resolve_dataset_paths"]

LANGS = ("ja", "en")
DECISIONS = ("Allowed", "ExplicitlyDenied", "ImplicitlyDenied")
POLICY_TYPES = ("identity", "resource", "trust", "scp", "rcp", "session", "pb", "vpce")
_REQUIRED = ("id", "lang", "question", "expected_article", "key_facts")
# Fields other producers (the UI's feedback export) may add; kept, never scored.
_OPTIONAL = ("expected_diagnoses", "must", "must_not", "history", "notes", "source", "tags", "feedback", "rating",
             "created")
_DIAGNOSIS_KEYS = ("action", "decision", "policy_type", "statement_sid")
_ARTICLE_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_MAX_PROBLEMS = 20


@dataclass(frozen=True)
class ExpectedDiagnosis:
    """One denial the assistant must reproduce: the action, its decision and the statement responsible."""

    action: str
    decision: str
    policy_type: str | None
    statement_sid: str | None


@dataclass(frozen=True)
class EvalQuestion:
    """One question of a dataset with what a good answer must contain."""

    id: str
    lang: str
    question: str
    expected_article: str | None
    key_facts: tuple[str, ...]
    expected_diagnoses: tuple[ExpectedDiagnosis, ...] = ()
    history: tuple[tuple[str, str], ...] = ()  # earlier turns (role, content), as in the UI's feedback export
    source: str = ""
    must: tuple[str, ...] = ()  # red-team assertions (assistant/evaluation/redteam.py) the answer must satisfy
    must_not: tuple[str, ...] = ()  # … and must not

    @property
    def in_scope(self) -> bool:
        """True when the knowledge base has an article for the question."""
        return self.expected_article is not None

    def to_json(self) -> dict[str, Any]:
        """The dataset line (the fields the schema defines)."""
        document: dict[str, Any] = {"id": self.id, "lang": self.lang, "question": self.question,
                                    "expected_article": self.expected_article, "key_facts": list(self.key_facts)}
        if self.expected_diagnoses:
            document["expected_diagnoses"] = [
                {"action": d.action, "decision": d.decision, "policy_type": d.policy_type,
                 "statement_sid": d.statement_sid} for d in self.expected_diagnoses]
        if self.must:
            document["must"] = list(self.must)
        if self.must_not:
            document["must_not"] = list(self.must_not)
        if self.history:
            document["history"] = [{"role": role, "content": content} for role, content in self.history]
        return document


@dataclass(frozen=True)
class Dataset:
    """The questions of one or more files, in file order, with a content hash."""

    questions: tuple[EvalQuestion, ...]
    sources: tuple[Path, ...]
    sha256: str

    def __len__(self) -> int:
        return len(self.questions)

    def limited(self, limit: int | None) -> Dataset:
        """The first ``limit`` questions (all when None), with the hash of that slice."""
        if limit is None or limit >= len(self.questions):
            return self
        questions = self.questions[:limit]
        return Dataset(questions, self.sources, _hash(questions))


def resolve_dataset_paths(spec: str | Path) -> list[Path]:
    """The .jsonl files named by a file, a directory or a glob pattern (sorted)."""
    text = str(spec)
    path = Path(text)
    if path.is_dir():
        files = sorted(path.glob("*.jsonl"))
        if not files:
            raise UsageError(f"no .jsonl files in the dataset directory '{text}'",
                             hint="give a .jsonl file or a directory that holds some")
        return files
    if path.is_file():
        return [path]
    if any(ch in text for ch in "*?["):
        files = sorted(Path(p) for p in glob.glob(text, recursive=True) if p.endswith(".jsonl"))
        if files:
            return files
        raise UsageError(f"no .jsonl file matches the dataset pattern '{text}'")
    raise UsageError(f"dataset not found: '{text}'", hint="--dataset takes a .jsonl file, a directory or a glob")


def load_dataset(spec: str | Path | Sequence[Path]) -> Dataset:
    """Read and validate every question; raise ``UsageError`` listing the problems when any is wrong."""
    paths = list(spec) if isinstance(spec, Sequence) and not isinstance(spec, str) else resolve_dataset_paths(spec)
    questions: list[EvalQuestion] = []
    problems: list[str] = []
    seen: dict[str, str] = {}
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read the dataset file '{path}': {exc}") from exc
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            question, line_problems = _parse_line(line, where)
            problems += [f"{where}: {p}" for p in line_problems]
            if question is None:
                continue
            if question.id in seen:
                problems.append(f"{where}: duplicate id '{question.id}' (first at {seen[question.id]})")
                continue
            seen[question.id] = where
            questions.append(question)
    if problems:
        shown = problems[:_MAX_PROBLEMS]
        more = f"; … and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
        raise UsageError(f"invalid dataset ({len(problems)} problems): " + "; ".join(shown) + more,
                         hint="see eval/datasets/README.md for the schema")
    if not questions:
        raise UsageError(f"the dataset '{', '.join(map(str, paths))}' has no questions")
    return Dataset(tuple(questions), tuple(paths), _hash(questions))


def _hash(questions: Sequence[EvalQuestion]) -> str:
    digest = hashlib.sha256()
    for question in sorted(questions, key=lambda q: q.id):
        digest.update(json.dumps(question.to_json(), ensure_ascii=False, sort_keys=True).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def _parse_line(line: str, where: str) -> tuple[EvalQuestion | None, list[str]]:
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, [f"not JSON: {exc.msg} at column {exc.colno}"]
    if not isinstance(item, dict):
        return None, ["a question must be a JSON object"]
    problems = [f"missing field '{key}'" for key in _REQUIRED if key not in item]
    problems += [f"unknown field '{key}' (known: {', '.join(_REQUIRED + _OPTIONAL)})"
                 for key in item if key not in _REQUIRED and key not in _OPTIONAL]
    qid: Any = item.get("id")
    lang: Any = item.get("lang")
    text: Any = item.get("question")
    article, facts = item.get("expected_article"), item.get("key_facts", [])
    if "id" in item and (not isinstance(qid, str) or not qid.strip()):
        problems.append("'id' must be a non-empty string")
    if "lang" in item and lang not in LANGS:
        problems.append(f"'lang' must be one of {', '.join(LANGS)}, got {json.dumps(lang, ensure_ascii=False)}")
    if "question" in item and (not isinstance(text, str) or not text.strip()):
        problems.append("'question' must be a non-empty string")
    if article is not None and (not isinstance(article, str) or not _ARTICLE_ID.match(article)):
        problems.append(f"'expected_article' must be an article id or null, got {json.dumps(article)}")
    if not isinstance(facts, list) or not all(isinstance(f, str) and f for f in facts):
        problems.append("'key_facts' must be a list of non-empty strings")
        facts = []
    for fact in facts:
        if fact.startswith("re:"):
            try:
                re.compile(fact[3:])
            except re.error as exc:
                problems.append(f"key fact {json.dumps(fact, ensure_ascii=False)} is not a valid regex: {exc}")
    diagnoses, diagnosis_problems = _diagnoses(item.get("expected_diagnoses", []))
    problems += diagnosis_problems
    assertions: dict[str, list[str]] = {}
    for key in ("must", "must_not"):
        value = item.get(key, [])
        listed = value if isinstance(value, list) else [None]
        problems += [f"'{key}': {p}" for p in map(assertion_problem, listed) if p]
        assertions[key] = [a for a in listed if isinstance(a, str)]
    history = item.get("history", [])
    if not isinstance(history, list) or not all(
            isinstance(t, dict) and t.get("role") in ("user", "assistant") and isinstance(t.get("content"), str)
            for t in history):
        problems.append("'history' must be a list of {\"role\": \"user\"|\"assistant\", \"content\": \"…\"}")
        history = []
    if problems:
        return None, problems
    source = item.get("source")
    return EvalQuestion(qid, lang, text, article, tuple(facts), diagnoses,
                        tuple((t["role"], t["content"]) for t in history),
                        source if isinstance(source, str) else "", tuple(assertions["must"]),
                        tuple(assertions["must_not"])), []


def _diagnoses(value: Any) -> tuple[tuple[ExpectedDiagnosis, ...], list[str]]:
    if not isinstance(value, list):
        return (), ["'expected_diagnoses' must be a list"]
    result: list[ExpectedDiagnosis] = []
    problems: list[str] = []
    for index, entry in enumerate(value):
        label = f"expected_diagnoses[{index}]"
        if not isinstance(entry, dict):
            problems.append(f"{label} must be an object")
            continue
        problems += [f"{label}: unknown field '{k}'" for k in entry if k not in _DIAGNOSIS_KEYS]
        action: Any = entry.get("action")
        decision: Any = entry.get("decision")
        policy_type, sid = entry.get("policy_type"), entry.get("statement_sid")
        if not isinstance(action, str) or ":" not in action:
            problems.append(f"{label}: 'action' must be 'service:Action'")
        if decision not in DECISIONS:
            problems.append(f"{label}: 'decision' must be one of {', '.join(DECISIONS)}")
        if policy_type is not None and policy_type not in POLICY_TYPES:
            problems.append(f"{label}: 'policy_type' must be one of {', '.join(POLICY_TYPES)} or null")
        if sid is not None and not isinstance(sid, str):
            problems.append(f"{label}: 'statement_sid' must be a string or null")
        if not problems:
            result.append(ExpectedDiagnosis(action, decision, policy_type, sid))
    return tuple(result), problems
