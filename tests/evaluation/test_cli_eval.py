"""``kb-assistant eval`` end to end in deterministic mode: the real pipeline on a slice of the public set,
over a two-article copy of the knowledge base (indexed once for the module), then resume and compare.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import invoke
from evalfix import ScriptedServer, verdict

REPO = Path(__file__).resolve().parents[2]
ARTICLES = ("mfa-device-registration-denied", "malformed-policy-document")
QUESTIONS = ("mfa-device-registration-denied-ja-1", "mfa-device-registration-denied-en-1",
             "malformed-policy-document-ja-1", "malformed-policy-document-en-1", "out-of-scope-ja-7",
             "out-of-scope-en-4")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A two-article kb, a six-question dataset (two out of scope) and a data directory shared by the module."""
    root = tmp_path_factory.mktemp("eval-e2e")
    for lang in ("ja", "en"):
        (root / "kb" / lang).mkdir(parents=True)
        for article in ARTICLES:
            shutil.copy(REPO / "kb" / lang / f"{article}.md", root / "kb" / lang / f"{article}.md")
    lines = [json.loads(line) for part in sorted((REPO / "eval" / "datasets" / "parts").glob("*.jsonl"))
             for line in part.read_text(encoding="utf-8").splitlines() if line.strip()]
    chosen = [x for x in lines if x["id"] in QUESTIONS]
    (root / "slice.jsonl").write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in chosen),
                                      encoding="utf-8")
    yield root


@pytest.fixture
def env(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    import assistant.evaluation.runner
    import assistant.evaluation.session

    monkeypatch.setattr(assistant.evaluation.session, "RUNS_DIR", workspace / "runs")  # not the repository's
    monkeypatch.setenv("KB_ASSISTANT_KB_DIR", str(workspace / "kb"))
    monkeypatch.setenv("KB_ASSISTANT_DATA_DIR", str(workspace / "data"))
    # Others commit to this repository while the module runs; a resume must not see a new code version.
    monkeypatch.setattr(assistant.evaluation.runner, "git_revision",
                        lambda repo: {"commit": "c" * 40, "code": "c" * 25, "dirty": False})
    return workspace


def _eval(*args: str) -> tuple[int, str, str]:
    return invoke("eval", *args)


def test_eval_deterministic_then_resume_then_compare(env: Path) -> None:
    gates = env / "gates.toml"
    gates.write_text('[min]\n"language.match" = 1.0\n"scope.recall" = 1.0\n[max]\n"run.error_rate" = 0\n',
                     encoding="utf-8")
    run = env / "run"
    code, out, err = _eval("--mode", "deterministic", "--dataset", str(env / "slice.jsonl"), "--out", str(run),
                           "--thresholds", str(gates), "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert out.count("\n") == 1  # one document on stdout, the progress bar went to stderr
    assert summary["questions"] == 6 and summary["errors"] == 0
    assert summary["by_lang"]["ja"]["n"] == 3 and summary["by_lang"]["en"]["n"] == 3
    metrics = summary["metrics"]
    assert metrics["language.match"] == 1.0
    assert metrics["scope.recall"] == 1.0  # both out-of-scope questions refused
    assert metrics["retrieval.hit_at_1"] == 1.0
    assert metrics["diagnoses.decision"] == 1.0  # the founding MFA question: explicit deny, then implicit
    assert metrics["latency.retrieval.p50_ms"] > 0
    assert summary["thresholds"] == {"source": str(gates), "ok": True, "violations": [], "skipped": []}
    config = json.loads((run / "config.json").read_text(encoding="utf-8"))
    assert config["system"]["status"]["index"]["articles"] == 2
    assert config["settings"]["kb_dir"] == str(env / "kb") and "openai_api_key" not in config["settings"]
    assert {p.name for p in run.iterdir()} >= {"results.jsonl", "summary.json", "report.md", "report.html"}
    code, out, _ = _eval("list")  # a run written elsewhere with --out is listed
    assert code == 0 and str(run) in out

    # the same --out again: nothing left to answer
    code, out, err = _eval("--mode", "deterministic", "--dataset", str(env / "slice.jsonl"), "--out", str(run),
                           "--thresholds", str(gates), "--json")
    assert code == 0, err
    again = json.loads(out)
    assert again["run"]["resumed"] is True and again["run"]["answered_now"] == 0
    assert again["metrics"] == summary["metrics"] | {k: v for k, v in again["metrics"].items()
                                                      if k.startswith("latency.")}

    # a stricter gate fails the run with exit 1, and a comparison of a run with itself passes
    strict = env / "strict.toml"
    strict.write_text('[min]\n"key_facts.complete" = 1.01\n', encoding="utf-8")
    code, out, err = _eval("--mode", "deterministic", "--dataset", str(env / "slice.jsonl"), "--out", str(run),
                           "--thresholds", str(strict))
    assert code == 1 and "gate failed: key_facts.complete = 0.75 is below the minimum 1.01" in err
    assert "report:" in out
    assert _eval("compare", str(run), str(run), "--thresholds", str(gates))[0] == 0


def test_usage_errors_exit_2(env: Path) -> None:
    code, _, err = _eval("--mode", "creative", "--dataset", str(env / "slice.jsonl"))
    assert code == 2 and "unknown mode 'creative'" in err
    code, _, err = _eval("--dataset", str(env / "missing.jsonl"))
    assert code == 2 and "dataset not found" in err
    code, _, err = _eval("--mode", "deterministic", "--dataset", str(env / "slice.jsonl"), "--judge")
    assert code == 2 and "KB_ASSISTANT_JUDGE_MODEL" in err


def test_a_model_outage_fails_an_llm_run_with_one_line(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with ScriptedServer(default=(500, "upstream down")) as down:
        monkeypatch.setenv("OPENAI_BASE_URL", down.url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        code, out, err = _eval("--mode", "llm", "--dataset", str(env / "slice.jsonl"), "--out", str(env / "llm"))
    assert code == 1
    reasons = [line for line in err.splitlines() if line.startswith("eval: run failed:")]
    assert reasons == [reasons[0]] and "model outage: 4 of 4 answers the model should have written fell back" \
        in reasons[0]  # the four in-scope questions; out of scope is never the model's to write
    assert "llm.fallback_rate                         1.000  n=4" in out
    assert "gate failed: llm.fallback_rate = 1 is above the maximum 0" in err  # eval/thresholds.toml gates it too
    page = (env / "llm" / "report.html").read_text(encoding="utf-8")
    assert 'class="outage"' in page and "model outage" in page


def test_a_judge_outage_fails_the_run_with_one_line(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with ScriptedServer(default=(503, "judge down")) as down:
        monkeypatch.setenv("KB_ASSISTANT_JUDGE_MODEL", "judge-model")
        monkeypatch.setenv("KB_ASSISTANT_JUDGE_BASE_URL", down.url)
        code, out, err = _eval("--mode", "deterministic", "--dataset", str(env / "slice.jsonl"), "--out",
                               str(env / "judged"), "--judge-repeats", "1", "-j", "1")
    assert code == 1
    reason = next(line for line in err.splitlines() if line.startswith("eval: run failed:"))
    # stopped after five failures in a row: the sixth answer was never sent
    assert reason.startswith("eval: run failed: judge outage: grading stopped after 5 failures in a row; 0 of 6 "
                             "answers graded (last: the judge failed")
    assert "KB_ASSISTANT_JUDGE_BASE_URL" in reason and "composer" not in reason
    assert "judge.coverage                            0.000  n=6" in out
    assert len(down.requests) == 5 * 2  # the judge's client retries once


def test_ctrl_c_says_how_to_resume(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import assistant.evaluation.session

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(assistant.evaluation.session, "evaluate_from_settings", interrupted)
    code, _, err = _eval("--mode", "deterministic", "--dataset", str(env / "slice.jsonl"), "--out", str(env / "x"))
    assert code == 130
    assert f"hint: run the same command with --out {env / 'x'} to resume" in err


def test_an_index_behind_the_knowledge_base_is_refused(env: Path) -> None:
    _eval("--mode", "retrieval", "--dataset", str(env / "slice.jsonl"), "--out", str(env / "fresh"))  # indexed
    article = env / "kb" / "en" / f"{ARTICLES[0]}.md"
    original = article.read_text(encoding="utf-8")
    try:
        article.write_text(original + "\nOne more paragraph.\n", encoding="utf-8")
        code, _, err = _eval("--mode", "deterministic", "--dataset", str(env / "slice.jsonl"), "--out",
                             str(env / "stale"))
    finally:
        article.write_text(original, encoding="utf-8")
    assert code == 2
    assert f"the index is out of date with the knowledge base (1 article files added or changed since it was " \
           f"built: en/{ARTICLES[0]})" in err and "kb-assistant ingest" in err


def test_a_healthy_llm_run_with_its_judge_passes_its_gates(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gates = env / "llm-gates.toml"
    gates.write_text('[min]\n"judge.coverage" = 1.0\n[max]\n"llm.fallback_rate" = 0.0\n"judge.errors" = 0\n'
                     '[min_n]\ndefault = 4\n', encoding="utf-8")
    # One scripted server plays both: the model's answer is the verdict's text, which the judge then returns.
    with ScriptedServer(default=(200, verdict(True, False, relevance=0.5))) as model:
        for name, value in (("OPENAI_BASE_URL", model.url), ("OPENAI_API_KEY", "sk-test"),
                            ("KB_ASSISTANT_JUDGE_MODEL", "judge-model")):
            monkeypatch.setenv(name, value)
        code, out, err = _eval("--mode", "llm", "--dataset", str(env / "slice.jsonl"), "--out", str(env / "ok"),
                               "--thresholds", str(gates), "--judge-repeats", "1", "--json")
    assert code == 0, err
    summary = json.loads(out)
    metrics, counts = summary["metrics"], summary["counts"]
    assert (metrics["llm.fallback_rate"], counts["llm.fallback_rate"]) == (0.0, 4)
    assert (metrics["judge.coverage"], counts["judge.coverage"], metrics["judge.errors"]) == (1.0, 6, 0.0)
    assert metrics["judge.relevance"] == 0.5 and summary["outage"] is None
    judge_requests = [r for r in model.requests if r["model"] == "judge-model"]
    assert len(judge_requests) == 6 and all(not r.get("stream") for r in judge_requests)
