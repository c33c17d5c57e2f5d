"""The feedback store: one row per rated answer, re-rating replaces it, and the export is a dataset the
evaluation harness reads (eval/datasets/README.md)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.errors import UsageError
from assistant.evaluation.dataset import load_dataset
from assistant.feedback import FeedbackEntry, FeedbackStore, Rating, dataset_line

CLI = str(Path(sys.executable).parent / "kb-assistant")
DIAGNOSES = (
    {"action": "iam:ListVirtualMFADevices", "decision": "ExplicitlyDenied", "policy_type": "identity",
     "statement_sid": "0987654321", "reproduced": True},
    {"action": "iam:CreateVirtualMFADevice", "decision": "ImplicitlyDenied", "policy_type": "identity",
     "statement_sid": None, "reproduced": True},
    {"action": "s3:GetObject", "decision": None, "policy_type": None, "statement_sid": None, "reproduced": None},
)


def entry(answer_id: str = "a1", rating: Rating = Rating.UP, **changes: object) -> FeedbackEntry:
    values: dict = {"answer_id": answer_id, "rating": rating, "question": "MFA が登録できません",
                    "answer": "## 診断\n…", "lang": "ja", "mode": "deterministic", "in_scope": True,
                    "citations": ({"id": "mfa-device-registration-denied", "lang": "ja", "title": "t"},),
                    "diagnoses": DIAGNOSES}
    values.update(changes)
    return FeedbackEntry(**values)


def test_a_rating_is_stored_with_the_question_answer_citations_and_mode(tmp_path):
    store = FeedbackStore(tmp_path / "data" / "feedback.sqlite3")
    stored = store.record(entry(rating=Rating.DOWN, comment="wrong article"))
    assert stored.created_at and stored.created_at == stored.updated_at
    with sqlite3.connect(store.path) as db:
        row = db.execute("SELECT rating, comment, question, answer, citations, mode, lang FROM feedback").fetchone()
    db.close()
    assert row[:4] == ("down", "wrong article", "MFA が登録できません", "## 診断\n…")
    assert json.loads(row[4])[0]["id"] == "mfa-device-registration-denied"
    assert row[5:] == ("deterministic", "ja")


def test_re_rating_an_answer_replaces_its_row_and_keeps_its_first_time(tmp_path):
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    first = store.record(entry(rating=Rating.DOWN))
    second = store.record(entry(rating=Rating.UP, comment="actually fine"))
    (only,) = store.entries()
    assert only.rating is Rating.UP and only.comment == "actually fine"
    assert only.created_at == first.created_at and second.created_at == first.created_at
    assert store.get("a1") == only and store.get("zz") is None
    store.remove("a1")
    assert store.entries() == []


def test_entries_filter_by_rating_and_an_absent_store_is_empty(tmp_path):
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    assert store.entries() == [] and store.dataset() == [] and not store.path.exists()
    store.record(entry("a1", Rating.UP))
    store.record(entry("a2", Rating.DOWN, question="another"))
    assert [e.answer_id for e in store.entries(Rating.DOWN)] == ["a2"]


def test_an_unwritable_store_is_a_usage_error_naming_the_file(tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    with pytest.raises(UsageError, match="feedback store"):
        FeedbackStore(blocker / "feedback.sqlite3").record(entry())


def test_a_thumbs_up_becomes_an_evaluation_case_and_a_thumbs_down_does_not():
    line = dataset_line(entry(history=({"role": "user", "content": "earlier"},), comment="good"))
    assert line is not None
    assert line["expected_article"] == "mfa-device-registration-denied" and line["key_facts"] == []
    assert line["expected_diagnoses"] == [
        {"action": "iam:ListVirtualMFADevices", "decision": "ExplicitlyDenied", "policy_type": "identity",
         "statement_sid": "0987654321"},
        {"action": "iam:CreateVirtualMFADevice", "decision": "ImplicitlyDenied", "policy_type": "identity",
         "statement_sid": None}]
    assert line["history"] == [{"role": "user", "content": "earlier"}]
    assert (line["source"], line["rating"], line["feedback"]) == ("feedback", "up", "good")
    assert dataset_line(entry(rating=Rating.DOWN)) is None
    out_of_scope = dataset_line(entry(in_scope=False, diagnoses=()))
    assert out_of_scope is not None and out_of_scope["expected_article"] is None
    assert "expected_diagnoses" not in out_of_scope


def test_the_export_is_read_by_the_evaluation_harness(tmp_path):
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    store.record(entry("a1", Rating.UP))
    store.record(entry("a2", Rating.UP, question="MFA が登録できません "))  # the same question again: latest wins
    store.record(entry("a3", Rating.DOWN, question="no"))
    store.record(entry("a4", Rating.UP, question="What is an SCP?", lang="en", in_scope=False, diagnoses=()))
    lines = store.dataset()
    assert [line["id"] for line in lines] == ["feedback-a2", "feedback-a4"]
    path = tmp_path / "feedback.jsonl"
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    dataset = load_dataset(path)
    assert [q.id for q in dataset.questions] == ["feedback-a2", "feedback-a4"]
    assert dataset.questions[0].expected_diagnoses[0].statement_sid == "0987654321"
    assert dataset.questions[1].in_scope is False


def test_the_cli_exports_the_dataset_and_the_raw_rows(tmp_path):
    data = tmp_path / "data"
    FeedbackStore(data / "feedback.sqlite3").record(entry("a1", Rating.UP))
    FeedbackStore(data / "feedback.sqlite3").record(entry("a2", Rating.DOWN, question="other"))
    env = {"PATH": "/usr/bin:/bin", "KB_ASSISTANT_DATA_DIR": str(data)}
    result = subprocess.run([CLI, "feedback", "export"], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["feedback-a1"]
    assert "1 questions exported" in result.stderr
    out = tmp_path / "raw.jsonl"
    result = subprocess.run([CLI, "feedback", "export", "--raw", "--out", str(out)], capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.returncode == 0 and result.stdout == ""
    assert {json.loads(line)["rating"] for line in out.read_text(encoding="utf-8").splitlines()} == {"up", "down"}
