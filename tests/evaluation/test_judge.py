"""The optional judge, with the real ``openai`` client against a scripted OpenAI-compatible server on
127.0.0.1: its own settings, the request sent, claims with reasons, repeats averaged, uncited answers,
failures counted (never dropped) and an outage that fails the run.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from evalfix import FakeSystem, ScriptedServer, answer, question, verdict, write_dataset

from assistant.errors import LLMError, UsageError
from assistant.evaluation import Judge, JudgeConfig, load_dataset, run_evaluation


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer(default=(200, verdict(True))) as fake:
        yield fake


def _config(server: ScriptedServer, **env: str) -> JudgeConfig:
    config = JudgeConfig.from_env({"KB_ASSISTANT_JUDGE_MODEL": "gpt-4o-mini-2024-07-18",
                                   "KB_ASSISTANT_JUDGE_BASE_URL": server.url, "KB_ASSISTANT_JUDGE_API_KEY": "sk-j",
                                   **env})
    assert config is not None
    return config


def _judge(config: JudgeConfig) -> Judge:
    import openai

    # no retries: a failing reply fails at once
    return Judge(config, openai.OpenAI(api_key="sk-test", base_url=config.base_url, max_retries=0, timeout=10))


def test_configuration_from_the_environment() -> None:
    assert JudgeConfig.from_env({}) is None
    assert JudgeConfig.from_env({"KB_ASSISTANT_JUDGE_MODEL": "m"}) is None  # no endpoint
    assert JudgeConfig.from_env({"OPENAI_API_KEY": "k"}) is None  # no pinned model
    config = JudgeConfig.from_env({"KB_ASSISTANT_JUDGE_MODEL": "gpt-4o-mini-2024-07-18",
                                   "OPENAI_API_KEY": "sk-secret"}, 5)
    assert config is not None and config.repeats == 5 and config.price_per_mtok == (0.15, 0.60)
    assert "sk-secret" not in json.dumps(config.to_json())  # the key is never stored with a run
    # the judge has its own endpoint and key, which win over the generator's
    own = JudgeConfig.from_env({"KB_ASSISTANT_JUDGE_MODEL": "local", "OPENAI_BASE_URL": "http://gen/v1",
                                "OPENAI_API_KEY": "sk-gen", "KB_ASSISTANT_JUDGE_BASE_URL": "http://judge/v1",
                                "KB_ASSISTANT_JUDGE_API_KEY": "sk-judge", "KB_ASSISTANT_JUDGE_PRICE": "1,2"})
    assert own is not None and (own.base_url, own.api_key) == ("http://judge/v1", "sk-judge")
    assert own.price_per_mtok == (1.0, 2.0)
    only_judge = JudgeConfig.from_env({"KB_ASSISTANT_JUDGE_MODEL": "m", "KB_ASSISTANT_JUDGE_BASE_URL": "http://j/v1"})
    assert only_judge is not None and only_judge.api_key is None  # no generator needed at all
    with pytest.raises(UsageError, match="KB_ASSISTANT_JUDGE_PRICE"):
        JudgeConfig.from_env({"KB_ASSISTANT_JUDGE_MODEL": "m", "OPENAI_API_KEY": "k",
                              "KB_ASSISTANT_JUDGE_PRICE": "cheap"})


def test_claims_with_reasons_repeats_averaged_and_the_request_pinned(server: ScriptedServer) -> None:
    server.replies = [(200, verdict(True, True, False, True, relevance=1.0, reason="mostly grounded")),
                      (200, "Sure! " + verdict(True, False, relevance=0.5)),
                      (200, "```json\n" + verdict(True, relevance=0.9) + "\n```")]
    graded = _judge(_config(server, KB_ASSISTANT_JUDGE_PRICE="1,2")).grade(
        "MFA が登録できない", "iam:ListVirtualMFADevices を許可します", ["[article mfa] MFA passage"])
    assert graded["faithfulness"] == pytest.approx((3 / 4 + 1 / 2 + 1) / 3)  # supported share per repeat
    assert graded["relevance"] == pytest.approx((1.0 + 0.5 + 0.9) / 3)
    assert [c["supported"] for c in graded["claims"]] == [True, True, False, True]
    assert graded["claims"][2]["reason"] == "why 2" and graded["reason"] == "mostly grounded"
    assert (graded["prompt_tokens"], graded["completion_tokens"]) == (300, 30)
    assert graded["cost_usd"] == pytest.approx((300 * 1 + 30 * 2) / 1_000_000)
    body = server.requests[0]
    assert body["model"] == "gpt-4o-mini-2024-07-18" and body["temperature"] == 0 and body["seed"] == 0
    assert "[article mfa] MFA passage" in body["messages"][1]["content"]
    assert "MFA が登録できない" in body["messages"][1]["content"]


@pytest.mark.parametrize(("reply", "message"), [
    ((400, "bad model"), "the judge failed: the model rejected the request (400)"),
    ((500, "boom"), "the judge failed"),
    ((200, "I think it is fine."), "not the expected JSON"),
    ((200, '{"claims": [], "relevance": 7}'), "score out of range"),
    ((200, '{"claims": [{"claim": "x"}], "relevance": 1}'), "boolean 'supported'"),
])
def test_failures_are_llm_errors_with_the_judge_s_own_hint(server: ScriptedServer, reply: tuple[int, str],
                                                         message: str) -> None:
    server.replies = [reply]
    with pytest.raises(LLMError, match=message.replace("(", r"\(").replace(")", r"\)")) as raised:
        _judge(_config(server)).grade("q", "a", ["p"])
    if reply[0] != 200:  # an HTTP error names the judge's settings, never the composer
        assert "KB_ASSISTANT_JUDGE_BASE_URL" in str(raised.value) and "composer" not in str(raised.value)


def _run(tmp_path: Path, server: ScriptedServer, respond: object, n: int = 3, name: str = "run") -> object:
    questions = [question(f"q{i}", facts=["policy"], article="a" if i % 2 else None) for i in range(1, n + 1)]
    dataset = load_dataset(write_dataset(tmp_path / "set.jsonl", questions))
    config = replace(_config(server, KB_ASSISTANT_JUDGE_PRICE="1,2"), repeats=1)
    return run_evaluation(dataset, FakeSystem(respond), tmp_path / name, mode="deterministic",  # type: ignore[arg-type]
                          concurrency=1, judge=_judge(config), passages=lambda record: ["[article a] passage"])


def test_failed_gradings_are_counted_and_uncited_answers_score_zero(server: ScriptedServer, tmp_path: Path) -> None:
    # q1 (expects a) cites a; q2 (out of scope) cites nothing; q3 (expects a) cites nothing; q4's grading fails
    server.replies = [(200, verdict(True, False)), (200, verdict(True)), (200, verdict(True)), (200, "garbage")]

    def respond(q: object) -> dict[str, object]:
        return answer("Check the policy.", cited=["a"] if q.id in ("q1", "q4") else [])  # type: ignore[attr-defined]

    result = _run(tmp_path, server, respond, n=4)
    records = {r["id"]: r for r in result.records}  # type: ignore[attr-defined]
    assert records["q1"]["judge"]["faithfulness"] == 0.5
    assert records["q2"]["judge"]["faithfulness"] is None  # a refusal has nothing to be grounded in
    assert records["q3"]["judge"]["faithfulness"] == 0.0  # in scope, built on no passage
    assert "cites no article" in records["q3"]["judge"]["reason"]
    assert "error" in records["q4"]["judge"]
    metrics, counts = result.summary["metrics"], result.summary["counts"]  # type: ignore[attr-defined]
    assert metrics["judge.coverage"] == pytest.approx(3 / 4) and counts["judge.coverage"] == 4
    assert metrics["judge.errors"] == 1.0
    assert metrics["judge.faithfulness"] == pytest.approx((0.5 + 0.0) / 2) and counts["judge.faithfulness"] == 2
    assert result.summary["outage"] is None  # one failure in four is not an outage; the gates judge it
    # a rerun grades again only the answer whose grading failed
    before = len(server.requests)
    _run(tmp_path, server, respond, n=4)
    assert len(server.requests) == before + 1


def test_a_judge_outage_fails_the_run_with_one_line(tmp_path: Path) -> None:
    with ScriptedServer(default=(500, "upstream down")) as down:
        result = _run(tmp_path, down, lambda q: answer("Check the policy.", cited=["a"]), n=8)
        assert len(down.requests) == 5  # stopped after five failures in a row, not eight
    assert not result.ok  # type: ignore[attr-defined]
    outage = result.summary["outage"]  # type: ignore[attr-defined]
    assert outage.startswith("judge outage: grading stopped after 5 failures in a row; 0 of 8 answers graded "
                             "(last: the judge failed") and "\n" not in outage
    assert result.summary["metrics"]["judge.coverage"] == 0.0  # type: ignore[attr-defined]
