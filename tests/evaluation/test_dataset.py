"""Reading datasets: files, directories and globs; every schema problem reported with its line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from evalfix import question, write_dataset

from assistant.errors import UsageError
from assistant.evaluation.dataset import ExpectedDiagnosis, load_dataset

REPO = Path(__file__).resolve().parents[2]
_GOOD = {"id": "x-en-1", "lang": "en", "question": "Why?", "expected_article": "x", "key_facts": ["a", "re:b+"]}


def _write(path: Path, *lines: object) -> Path:
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line, ensure_ascii=False)) + "\n"
                            for line in lines), encoding="utf-8")
    return path


def test_the_public_set_loads() -> None:
    dataset = load_dataset(REPO / "eval" / "datasets" / "parts")
    assert len(dataset) >= 192  # the parts grow with the knowledge base
    out_of_scope = [q for q in dataset.questions if not q.in_scope]
    assert len(out_of_scope) >= 36 and {q.lang for q in out_of_scope} == {"ja", "en"}
    assert {q.lang for q in dataset.questions} == {"ja", "en"}
    assert sum(len(q.expected_diagnoses) for q in dataset.questions) >= 10
    mfa = next(q for q in dataset.questions if q.id == "mfa-device-registration-denied-ja-1")
    assert mfa.expected_diagnoses[0] == ExpectedDiagnosis("iam:ListVirtualMFADevices", "ExplicitlyDenied",
                                                          "identity", "0987654321")


def test_a_file_a_directory_and_a_glob(tmp_path: Path) -> None:
    parts = tmp_path / "parts"
    parts.mkdir()
    write_dataset(parts / "b.jsonl", [question("b1"), question("b2", article=None)])
    write_dataset(parts / "a.jsonl", [question("a1", lang="ja", facts=["MFA"])])
    (parts / "notes.txt").write_text("not a dataset", encoding="utf-8")
    by_dir = load_dataset(parts)
    assert [q.id for q in by_dir.questions] == ["a1", "b1", "b2"]  # files in name order
    assert [q.id for q in load_dataset(str(parts / "*.jsonl")).questions] == ["a1", "b1", "b2"]
    assert [q.id for q in load_dataset(parts / "b.jsonl").questions] == ["b1", "b2"]
    # the hash is over the questions, not the files: one merged file in another order hashes the same
    merged = write_dataset(tmp_path / "merged.jsonl", [question("b2", article=None), question("b1"),
                                                       question("a1", lang="ja", facts=["MFA"])])
    assert load_dataset(merged).sha256 == by_dir.sha256
    assert load_dataset(parts / "b.jsonl").sha256 != by_dir.sha256
    assert len(by_dir.limited(2)) == 2 and by_dir.limited(2).sha256 != by_dir.sha256
    assert by_dir.limited(10) is by_dir


def test_every_problem_is_reported_with_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.jsonl",
                  _GOOD,
                  "{not json",
                  "",  # blank lines are skipped
                  [1, 2],
                  {**_GOOD, "id": "x-en-2", "lang": "fr"},
                  {k: v for k, v in _GOOD.items() if k != "key_facts"} | {"id": "x-en-3"},
                  {**_GOOD, "id": "x-en-4", "colour": "red"},
                  {**_GOOD, "id": "x-en-5", "expected_article": "Not An Id"},
                  {**_GOOD, "id": "x-en-6", "key_facts": ["re:(unclosed"]},
                  {**_GOOD, "id": "x-en-7", "expected_diagnoses": [{"action": "ListUsers", "decision": "Denied"}]},
                  _GOOD)  # duplicate id
    with pytest.raises(UsageError) as caught:
        load_dataset(path)
    message = str(caught.value)
    assert "invalid dataset (10 problems)" in message  # line 10 has two
    for expected in (f"{path}:2: not JSON", f"{path}:4: a question must be a JSON object",
                     f"{path}:5: 'lang' must be one of ja, en, got \"fr\"", f"{path}:6: missing field 'key_facts'",
                     f"{path}:7: unknown field 'colour'", f"{path}:8: 'expected_article' must be an article id",
                     f"{path}:9: key fact \"re:(unclosed\" is not a valid regex",
                     f"{path}:10: expected_diagnoses[0]: 'action' must be 'service:Action'",
                     f"{path}:10: expected_diagnoses[0]: 'decision' must be one of Allowed,",
                     f"{path}:11: duplicate id 'x-en-1' (first at {path}:1)"):
        assert expected in message
    assert "eval/datasets/README.md" in message  # the hint names the schema


def test_missing_and_empty_datasets(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="dataset not found"):
        load_dataset(tmp_path / "nope.jsonl")
    with pytest.raises(UsageError, match=r"no \.jsonl files in the dataset directory"):
        load_dataset(tmp_path)
    with pytest.raises(UsageError, match=r"no \.jsonl file matches"):
        load_dataset(str(tmp_path / "*.jsonl"))
    with pytest.raises(UsageError, match="has no questions"):
        load_dataset(_write(tmp_path / "empty.jsonl", ""))


def test_feedback_export_fields_are_accepted(tmp_path: Path) -> None:
    line = {**_GOOD, "source": "feedback", "rating": "down", "notes": "wrong article",
            "history": [{"role": "user", "content": "MFA が登録できない"}, {"role": "assistant", "content": "…"}]}
    dataset = load_dataset(_write(tmp_path / "feedback.jsonl", line))
    assert dataset.questions[0].history == (("user", "MFA が登録できない"), ("assistant", "…"))
    assert dataset.questions[0].source == "feedback"
    with pytest.raises(UsageError, match="'history' must be a list"):
        load_dataset(_write(tmp_path / "bad-history.jsonl", {**_GOOD, "history": [{"role": "system"}]}))
