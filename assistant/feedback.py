"""Answer feedback: thumbs up / down with an optional comment, kept in SQLite under the data directory.

Each row keeps what was asked and answered (question, answer, citations, diagnoses, mode) so that
rated answers can be reviewed and exported as an evaluation dataset (eval/datasets/README.md): a
thumbs-up answer becomes a regression case with its cited article and its diagnoses as expectations.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.errors import UsageError

__all__ = ["FEEDBACK_FILE", "FeedbackEntry", "FeedbackStore", "Rating", "dataset_line"]

FEEDBACK_FILE = "feedback.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    answer_id   TEXT PRIMARY KEY,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    rating      TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment     TEXT NOT NULL DEFAULT '',
    question    TEXT NOT NULL,
    answer      TEXT NOT NULL,
    lang        TEXT NOT NULL,
    mode        TEXT NOT NULL,
    model       TEXT,
    in_scope    INTEGER NOT NULL,
    citations   TEXT NOT NULL,
    diagnoses   TEXT NOT NULL,
    history     TEXT NOT NULL DEFAULT '[]'
)
"""
_COLUMNS = ("answer_id", "created_at", "updated_at", "rating", "comment", "question", "answer", "lang", "mode",
            "model", "in_scope", "citations", "diagnoses", "history")


class Rating(StrEnum):
    """A thumbs-up or thumbs-down."""

    UP = "up"
    DOWN = "down"


@dataclass(frozen=True)
class FeedbackEntry:
    """One rated answer; ``answer_id`` identifies the answer, so re-rating it replaces the row."""

    answer_id: str
    rating: Rating
    question: str
    answer: str
    lang: str
    mode: str
    in_scope: bool
    citations: tuple[dict[str, Any], ...] = ()
    diagnoses: tuple[dict[str, Any], ...] = ()
    history: tuple[dict[str, str], ...] = ()  # the earlier turns ({"role", "content"}) the question followed
    comment: str = ""
    model: str | None = None
    created_at: str = ""
    updated_at: str = ""

    def to_json(self) -> dict[str, Any]:
        """The row as a JSON object (the raw export)."""
        return {"answer_id": self.answer_id, "rating": self.rating.value, "comment": self.comment,
                "question": self.question, "answer": self.answer, "lang": self.lang, "mode": self.mode,
                "model": self.model, "in_scope": self.in_scope, "citations": list(self.citations),
                "diagnoses": list(self.diagnoses), "history": list(self.history),
                "created_at": self.created_at, "updated_at": self.updated_at}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class FeedbackStore:
    """The SQLite file of feedback; one short connection per call, so any thread may use it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def from_settings(cls, settings: Settings) -> FeedbackStore:
        """The store in ``settings.data_dir``."""
        return cls(settings.data_dir / FEEDBACK_FILE)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with closing(sqlite3.connect(self.path, timeout=10)) as connection, connection:
                connection.execute(_SCHEMA)
                yield connection
        except sqlite3.Error as exc:
            raise UsageError(f"feedback store '{self.path}': {exc}",
                             hint="check KB_ASSISTANT_DATA_DIR points at a writable directory") from exc
        except OSError as exc:
            raise UsageError(f"feedback store '{self.path}': {exc.strerror or exc}",
                             hint="check KB_ASSISTANT_DATA_DIR points at a writable directory") from exc

    def record(self, entry: FeedbackEntry) -> FeedbackEntry:
        """Insert or replace the feedback on one answer; the first rating's time is kept."""
        now = _now()
        with self._connect() as db:
            row = db.execute("SELECT created_at FROM feedback WHERE answer_id = ?", (entry.answer_id,)).fetchone()
            created = row[0] if row else now
            db.execute(f"INSERT OR REPLACE INTO feedback ({', '.join(_COLUMNS)}) "
                       f"VALUES ({', '.join('?' for _ in _COLUMNS)})",
                       (entry.answer_id, created, now, Rating(entry.rating).value, entry.comment, entry.question,
                        entry.answer, entry.lang, entry.mode, entry.model, int(entry.in_scope),
                        json.dumps(list(entry.citations), ensure_ascii=False),
                        json.dumps(list(entry.diagnoses), ensure_ascii=False),
                        json.dumps(list(entry.history), ensure_ascii=False)))
        return replace(entry, created_at=created, updated_at=now)

    def remove(self, answer_id: str) -> None:
        """Forget the feedback on one answer (the user took their rating back)."""
        with self._connect() as db:
            db.execute("DELETE FROM feedback WHERE answer_id = ?", (answer_id,))

    def entries(self, rating: Rating | None = None) -> list[FeedbackEntry]:
        """Every entry (or those with ``rating``), oldest first."""
        where, args = ("WHERE rating = ?", (rating.value,)) if rating else ("", ())
        if not self.path.exists():
            return []
        with self._connect() as db:
            rows = db.execute(f"SELECT {', '.join(_COLUMNS)} FROM feedback {where} "
                              "ORDER BY created_at, answer_id", args).fetchall()
        return [_entry(dict(zip(_COLUMNS, row, strict=True))) for row in rows]

    def get(self, answer_id: str) -> FeedbackEntry | None:
        """The entry of one answer, if it was rated."""
        if not self.path.exists():
            return None
        with self._connect() as db:
            row = db.execute(f"SELECT {', '.join(_COLUMNS)} FROM feedback WHERE answer_id = ?",
                             (answer_id,)).fetchone()
        return _entry(dict(zip(_COLUMNS, row, strict=True))) if row else None

    def dataset(self) -> list[dict[str, Any]]:
        """The thumbs-up answers as evaluation cases, one per distinct question (the latest rating wins)."""
        latest: dict[str, FeedbackEntry] = {}
        for entry in sorted(self.entries(), key=lambda e: (e.updated_at, e.answer_id)):
            latest[entry.question.strip()] = entry
        lines = [dataset_line(e) for e in latest.values() if e.rating is Rating.UP]
        return sorted((line for line in lines if line is not None), key=lambda line: line["id"])


def _entry(row: dict[str, Any]) -> FeedbackEntry:
    return FeedbackEntry(answer_id=row["answer_id"], rating=Rating(row["rating"]), question=row["question"],
                         answer=row["answer"], lang=row["lang"], mode=row["mode"], in_scope=bool(row["in_scope"]),
                         citations=tuple(json.loads(row["citations"])), diagnoses=tuple(json.loads(row["diagnoses"])),
                         history=tuple(json.loads(row["history"])),
                         comment=row["comment"], model=row["model"], created_at=row["created_at"],
                         updated_at=row["updated_at"])


def _expected_diagnoses(diagnoses: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Diagnoses the checker reproduced against pasted policies (the others expect nothing checkable)."""
    return [{"action": d.get("action"), "decision": d.get("decision"), "policy_type": d.get("policy_type"),
             "statement_sid": d.get("statement_sid")}
            for d in diagnoses if d.get("reproduced") is True and d.get("decision")]


def dataset_line(entry: FeedbackEntry) -> dict[str, Any] | None:
    """One evaluation case from a thumbs-up answer; None for a thumbs-down (its right answer is unknown)."""
    if entry.rating is not Rating.UP:
        return None
    article = entry.citations[0].get("id") if entry.in_scope and entry.citations else None
    line: dict[str, Any] = {"id": f"feedback-{entry.answer_id}", "lang": entry.lang, "question": entry.question,
                            "expected_article": article, "key_facts": []}
    expected = _expected_diagnoses(entry.diagnoses)
    if expected:
        line["expected_diagnoses"] = expected
    if entry.history:
        line["history"] = [{"role": t["role"], "content": t["content"]} for t in entry.history]
    line.update(source="feedback", rating=entry.rating.value, created=entry.created_at)
    if entry.comment:
        line["feedback"] = entry.comment
    return line
