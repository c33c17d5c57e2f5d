"""The optional judge, with the real ``openai`` client against a small OpenAI-compatible server on
127.0.0.1: the request that is sent, repeats averaged, cost, failures kept out of the verdict.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from evalfix import FakeSystem, answer, question, write_dataset

from assistant.errors import LLMError, UsageError
from assistant.evaluation import Judge, JudgeConfig, load_dataset, run_evaluation


class _Server:
    """Answers /v1/chat/completions from a queue of (status, content) and records the bodies."""

    def __init__(self) -> None:
        self.replies: list[tuple[int, str]] = []
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with server.lock:
                    server.requests.append(body)
                    status, content = server.replies.pop(0) if server.replies else (200, '{"faithfulness": 1, '
                                                                                         '"relevance": 1}')
                payload = ({"id": "c1", "object": "chat.completion", "created": 0, "model": body["model"],
                            "choices": [{"index": 0, "finish_reason": "stop",
                                         "message": {"role": "assistant", "content": content}}],
                            "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110}}
                           if status == 200 else {"error": {"message": content, "type": "invalid_request_error"}})
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"


@pytest.fixture
def server() -> Iterator[_Server]:
    fake = _Server()
    thread = threading.Thread(target=fake.httpd.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.httpd.shutdown()
    fake.httpd.server_close()
    thread.join()


def _config(server: _Server, **env: str) -> JudgeConfig:
    config = JudgeConfig.from_env({"KB_ASSISTANT_JUDGE_MODEL": "gpt-4o-mini-2024-07-18", "OPENAI_BASE_URL":
                                   server.url, "OPENAI_API_KEY": "sk-test", **env})
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
    custom = JudgeConfig.from_env({"KB_ASSISTANT_JUDGE_MODEL": "local", "OPENAI_BASE_URL": "http://h/v1",
                                   "KB_ASSISTANT_JUDGE_PRICE": "1,2"})
    assert custom is not None and custom.price_per_mtok == (1.0, 2.0) and custom.api_key is None
    with pytest.raises(UsageError, match="KB_ASSISTANT_JUDGE_PRICE"):
        JudgeConfig.from_env({"KB_ASSISTANT_JUDGE_MODEL": "m", "OPENAI_API_KEY": "k",
                              "KB_ASSISTANT_JUDGE_PRICE": "cheap"})


def test_repeats_are_averaged_and_the_request_is_pinned(server: _Server) -> None:
    server.replies = [(200, '{"faithfulness": 0.8, "relevance": 1.0}'),
                      (200, 'Sure! {"faithfulness": 0.6, "relevance": 0.5, "reason": "r"}'),
                      (200, '```json\n{"faithfulness": 1, "relevance": 0.9}\n```')]
    verdict = _judge(_config(server, KB_ASSISTANT_JUDGE_PRICE="1,2")).grade(
        "MFA が登録できない", "iam:ListVirtualMFADevices を許可します [mfa]", ["[mfa] MFA passage"])
    assert verdict["faithfulness"] == pytest.approx((0.8 + 0.6 + 1.0) / 3)
    assert verdict["relevance"] == pytest.approx((1.0 + 0.5 + 0.9) / 3)
    assert (verdict["prompt_tokens"], verdict["completion_tokens"]) == (300, 30)
    assert verdict["cost_usd"] == pytest.approx((300 * 1 + 30 * 2) / 1_000_000)
    assert len(server.requests) == 3
    body = server.requests[0]
    assert body["model"] == "gpt-4o-mini-2024-07-18" and body["temperature"] == 0 and body["seed"] == 0
    assert "[mfa] MFA passage" in body["messages"][1]["content"]
    assert "MFA が登録できない" in body["messages"][1]["content"]


def test_no_passage_means_no_faithfulness(server: _Server) -> None:
    verdict = _judge(_config(server, KB_ASSISTANT_JUDGE_PRICE="1,2")).grade("bread?", "Not covered.", [])
    assert verdict["faithfulness"] is None and verdict["relevance"] == 1.0


@pytest.mark.parametrize(("reply", "message"), [
    ((400, "bad model"), "the model rejected the request (400)"),
    ((200, "I think it is fine."), "not the expected JSON"),
    ((200, '{"faithfulness": 7, "relevance": 1}'), "score out of range"),
])
def test_failures_are_llm_errors(server: _Server, reply: tuple[int, str], message: str) -> None:
    server.replies = [reply]
    with pytest.raises(LLMError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _judge(_config(server)).grade("q", "a", ["p"])


def test_the_judge_runs_after_the_deterministic_checks_and_never_fails_the_run(server: _Server,
                                                                             tmp_path: Path) -> None:
    questions = [question(f"q{i}", facts=["policy"]) for i in (1, 2, 3)]
    dataset = load_dataset(write_dataset(tmp_path / "set.jsonl", questions))
    server.replies = [(200, '{"faithfulness": 0.5, "relevance": 1}'), (200, "garbage"),
                      (200, '{"faithfulness": 1, "relevance": 0.5}')]
    phases: list[str] = []
    config = replace(_config(server, KB_ASSISTANT_JUDGE_PRICE="1,2"), repeats=1)
    result = run_evaluation(dataset, FakeSystem(lambda q: answer("Check the policy.", cited=["a"])),
                            tmp_path / "run", mode="llm", concurrency=1, judge=_judge(config),
                            passages=lambda record: ["[a] passage"], progress=lambda p, d, t: phases.append(p))
    assert phases.index("judging") > max(i for i, p in enumerate(phases) if p == "answering")
    verdicts = [r["judge"] for r in result.records]
    assert sum(1 for v in verdicts if "error" in v) == 1
    metrics = result.summary["metrics"]
    assert metrics["judge.faithfulness"] == pytest.approx((0.5 + 1) / 2)
    assert metrics["judge.relevance"] == pytest.approx((1 + 0.5) / 2)
    assert metrics["judge.cost_usd"] == pytest.approx(2 * (100 * 1 + 10 * 2) / 1_000_000)
    assert result.summary["passed"] == 3  # the judge does not decide pass or fail
    config_json = json.loads((tmp_path / "run" / "config.json").read_text(encoding="utf-8"))
    assert config_json["judge"]["model"] == "gpt-4o-mini-2024-07-18" and config_json["judge"]["temperature"] == 0

    # a rerun judges again only the answer whose verdict failed
    before = len(server.requests)
    run_evaluation(dataset, FakeSystem(lambda q: answer("Check the policy.", cited=["a"])), tmp_path / "run",
                   mode="llm", judge=_judge(config), passages=lambda record: ["[a] passage"])
    assert len(server.requests) == before + 1
