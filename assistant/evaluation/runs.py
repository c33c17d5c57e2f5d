"""Run storage: one directory per run, append-only results, so an interrupted run resumes.

    RUN/config.json     what ran: mode, dataset and its hash, git revision, settings (no secrets)
    RUN/results.jsonl   one record per question, appended as each finishes (the last record of an id wins)
    RUN/summary.json    the metrics, written at the end
    RUN/report.md, RUN/report.html

``list_runs``, ``load_summary`` and ``load_results`` are what the UI's run browser calls. A run written
outside the runs directory is remembered in its ``elsewhere.txt`` (one path a line), so ``eval list``
and the UI still see it.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import UsageError

__all__ = ["CONFIG", "ELSEWHERE", "RESULTS", "SUMMARY", "RunInfo", "RunStore", "git_revision", "list_runs",
           "load_results", "load_summary", "remember_run", "resolve_run"]

CONFIG, RESULTS, SUMMARY = "config.json", "results.jsonl", "summary.json"
ELSEWHERE = "elsewhere.txt"
# A resumed run must answer the same questions the same way, with the same code, model and judge.
_SAME_RUN_KEYS = ("dataset_sha256", "mode", "pins")
_PIN_NAMES = {"code": "version of assistant/ and kb/ (git trees)", "llm_model": "model",
              "judge_model": "judge model", "judge_prompt": "judge prompt"}


def git_revision(repo: Path) -> dict[str, Any] | None:
    """The commit checked out in ``repo``, the versions of the code and the knowledge base in it (their git
    tree ids: a commit that touches neither leaves them as they were) and whether the tree has changes
    (None outside git)."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True,
                                timeout=10, check=True).stdout.strip()
        trees = subprocess.run(["git", "rev-parse", "HEAD:assistant", "HEAD:kb"], cwd=repo, capture_output=True,
                               text=True, timeout=10, check=False).stdout.split()
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=repo,
                                capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit, "code": "+".join(t[:12] for t in trees) or None, "dirty": bool(status.strip())}


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise UsageError(f"not found: '{path}'") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"cannot read '{path}': {exc}") from exc


def _records(path: Path) -> Iterable[dict[str, Any]]:
    """The records of a results file; a line cut short by an interruption is skipped."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    records = []
    for line in lines:
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and isinstance(record.get("id"), str):
            records.append(record)
    return records


class RunStore:
    """The files of one run directory; ``append`` is safe from several threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    @property
    def results_path(self) -> Path:
        """The per-question results file."""
        return self.path / RESULTS

    def check_same_run(self, config: Mapping[str, Any]) -> bool:
        """True when a run is stored here; raise when it is not the run ``config`` describes."""
        config_path = self.path / CONFIG
        if not config_path.exists():
            return False
        stored = _read_json(config_path)
        if not isinstance(stored, dict):
            stored = {}
        differences = [(key, stored.get(key), config.get(key)) for key in _SAME_RUN_KEYS if key != "pins"]
        pins, theirs = config.get("pins") or {}, stored.get("pins") or {}
        differences += [(_PIN_NAMES.get(k, k), theirs.get(k), pins.get(k)) for k in sorted(set(pins) | set(theirs))]
        for what, before, now in differences:
            if before != now:
                raise UsageError(f"the run directory '{self.path}' holds a run with another {what} "
                                 f"({before!r}, this run: {now!r}); a resumed run must not mix them",
                                 hint="give a new --out directory, or resume with the same dataset, --mode, "
                                      "commit, model and judge")
        return True

    def open(self, config: Mapping[str, Any]) -> bool:
        """Create the run, or check that the stored one is the same run; True when resuming."""
        if self.check_same_run(config):
            return True
        if self.path.exists() and any(self.path.iterdir()):
            raise UsageError(f"'{self.path}' is not empty and holds no evaluation run",
                             hint="give a new or empty --out directory")
        self.path.mkdir(parents=True, exist_ok=True)
        self.write_json(CONFIG, config)
        return False

    def write_json(self, name: str, document: Any) -> None:
        """Write a JSON file of the run atomically."""
        target = self.path / name
        partial = target.with_suffix(target.suffix + ".partial")
        partial.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        partial.replace(target)

    def write_text(self, name: str, text: str) -> None:
        """Write a text file (a report) of the run atomically."""
        target = self.path / name
        partial = target.with_suffix(target.suffix + ".partial")
        partial.write_text(text, encoding="utf-8")
        partial.replace(target)

    def records(self) -> dict[str, dict[str, Any]]:
        """The latest record of every question answered so far."""
        return {r["id"]: r for r in _records(self.results_path)}

    def append(self, record: Mapping[str, Any]) -> None:
        """Add one question's record durably (flushed and synced before returning)."""
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock, self.results_path.open("a+b") as handle:
            handle.seek(0, os.SEEK_END)
            if handle.tell():
                handle.seek(-1, os.SEEK_END)
                if handle.read(1) != b"\n":  # the last write was cut short: start a fresh line
                    handle.write(b"\n")
            handle.write(line.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())


@dataclass(frozen=True)
class RunInfo:
    """A stored run as listed by ``list_runs``."""

    path: Path
    name: str
    started_at: str | None
    mode: str | None
    dataset: str | None
    questions: int | None
    answered: int
    complete: bool
    passed: int | None

    def to_json(self) -> dict[str, Any]:
        """The run as JSON."""
        return {"path": str(self.path), "name": self.name, "started_at": self.started_at, "mode": self.mode,
                "dataset": self.dataset, "questions": self.questions, "answered": self.answered,
                "complete": self.complete, "passed": self.passed}


def remember_run(root: Path, run: Path) -> None:
    """Note a run stored outside ``root`` in ``root/elsewhere.txt`` so that ``list_runs`` finds it."""
    run = run.resolve()
    if run.parent == root.resolve() or run in _elsewhere(root):
        return
    root.mkdir(parents=True, exist_ok=True)
    with (root / ELSEWHERE).open("a", encoding="utf-8") as handle:
        handle.write(f"{run}\n")


def _elsewhere(root: Path) -> list[Path]:
    try:
        lines = (root / ELSEWHERE).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    return [Path(line) for line in lines if line.strip()]


def list_runs(root: Path, extra: Iterable[Path] = ()) -> list[RunInfo]:
    """The runs under ``root`` (directories with a config.json), those it remembers elsewhere and the
    runs in ``extra`` (run directories, or directories of runs), newest first."""
    runs: list[RunInfo] = []
    places = [*root.glob(f"*/{CONFIG}"), *(p / CONFIG for p in _elsewhere(root))]
    for path in extra:
        places += [path / CONFIG] if (path / CONFIG).is_file() else list(path.glob(f"*/{CONFIG}"))
    seen: set[Path] = set()
    for config_path in places:
        if config_path.resolve() in seen or not config_path.is_file():
            continue
        seen.add(config_path.resolve())
        try:
            config = json.loads(config_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            continue
        if not isinstance(config, dict):
            continue
        path = config_path.parent
        summary: dict[str, Any] = {}
        if (path / SUMMARY).exists():
            try:
                summary = json.loads((path / SUMMARY).read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError):
                summary = {}
        answered = len({r["id"] for r in _records(path / RESULTS)})
        questions = config.get("questions")
        runs.append(RunInfo(path, path.name, config.get("started_at"), config.get("mode"), config.get("dataset"),
                            questions, answered, bool(summary) and answered == questions, summary.get("passed")))
    return sorted(runs, key=lambda r: (r.started_at or "", r.name), reverse=True)


def resolve_run(spec: str | Path, root: Path | None = None) -> Path:
    """A run directory from a path, a summary.json path, or a run name under ``root``."""
    path = Path(spec)
    if path.name == SUMMARY and path.is_file():
        path = path.parent
    if not path.is_dir() and root is not None and (root / str(spec)).is_dir():
        path = root / str(spec)
    if not (path / CONFIG).is_file():
        raise UsageError(f"not an evaluation run: '{spec}' (no {CONFIG})",
                         hint="give a directory written by 'kb-assistant eval --out DIR'")
    return path


def load_summary(run: str | Path, root: Path | None = None) -> dict[str, Any]:
    """The summary of a finished run (with its config under ``"config"``)."""
    path = resolve_run(run, root)
    if not (path / SUMMARY).is_file():
        raise UsageError(f"the run '{path}' has no {SUMMARY} yet (interrupted?)",
                         hint=f"finish it with 'kb-assistant eval --out {path}' and the same dataset and mode")
    summary = _read_json(path / SUMMARY)
    if not isinstance(summary, dict):
        raise UsageError(f"'{path / SUMMARY}' is not a summary")
    return summary


def load_results(run: str | Path, root: Path | None = None) -> list[dict[str, Any]]:
    """The latest record of every question of a run, in the order they were first written."""
    return list(RunStore(resolve_run(run, root)).records().values())
