"""The optional LLM judge: faithfulness to the cited passages and relevance to the question.

Only when configured (KB_ASSISTANT_JUDGE_MODEL and OPENAI_API_KEY or OPENAI_BASE_URL); never needed
by CI. The model is pinned by name, temperature 0, each question judged ``repeats`` times and
averaged; token use and cost (from KB_ASSISTANT_JUDGE_PRICE or the table below) are reported.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assistant.errors import LLMError, UsageError

__all__ = ["PROMPT_VERSION", "Judge", "JudgeConfig"]

PROMPT_VERSION = "judge-v1"
# USD per million input / output tokens of pinned model snapshots; override with KB_ASSISTANT_JUDGE_PRICE.
_PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini-2024-07-18": (0.15, 0.60),
    "gpt-4o-2024-08-06": (2.50, 10.00),
    "gpt-4.1-mini-2025-04-14": (0.40, 1.60),
    "gpt-4.1-2025-04-14": (2.00, 8.00),
}
_SYSTEM = (
    "You grade the answers of a support assistant for AWS access problems. Reply with one JSON object "
    'and nothing else: {"faithfulness": F, "relevance": R, "reason": "one sentence"}. '
    "F (0 to 1): the share of the answer's factual claims that the PASSAGES support; claims about the "
    "customer's own pasted policy or error count as supported when they follow from the QUESTION. "
    "R (0 to 1): how completely and directly the answer addresses the QUESTION. "
    "Answers may be in Japanese or English; grade the content, not the language."
)
_OBJECT = re.compile(r"\{.*\}", re.DOTALL)
_MAX_PASSAGE_CHARS = 6000


@dataclass(frozen=True)
class JudgeConfig:
    """The judge's pinned model, endpoint, repeats and prices."""

    model: str
    api_key: str | None = None
    base_url: str | None = None
    repeats: int = 3
    timeout_s: float = 60.0
    price_per_mtok: tuple[float, float] | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str], repeats: int = 3) -> JudgeConfig | None:
        """The judge configured in ``env``, or None when it is not."""
        model = env.get("KB_ASSISTANT_JUDGE_MODEL", "").strip()
        api_key, base_url = env.get("OPENAI_API_KEY") or None, env.get("OPENAI_BASE_URL") or None
        if not model or not (api_key or base_url):
            return None
        price = _PRICES.get(model)
        if env.get("KB_ASSISTANT_JUDGE_PRICE"):
            try:
                low, high = (float(x) for x in env["KB_ASSISTANT_JUDGE_PRICE"].split(","))
            except ValueError as exc:
                raise UsageError(f"KB_ASSISTANT_JUDGE_PRICE must be 'INPUT,OUTPUT' USD per million tokens, got "
                                 f"'{env['KB_ASSISTANT_JUDGE_PRICE']}'") from exc
            price = (low, high)
        if repeats < 1:
            raise UsageError(f"--judge-repeats must be at least 1, got {repeats}")
        return cls(model, api_key, base_url, repeats, float(env.get("KB_ASSISTANT_JUDGE_TIMEOUT", "60")), price)

    def to_json(self) -> dict[str, Any]:
        """The configuration as stored with a run (no key)."""
        return {"model": self.model, "base_url": self.base_url, "repeats": self.repeats, "temperature": 0,
                "prompt": PROMPT_VERSION, "price_usd_per_mtok": list(self.price_per_mtok) if self.price_per_mtok
                else None}


def _unit(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValueError(f"score out of range: {value!r}")
    return float(value)


class Judge:
    """Grades answers with an OpenAI-compatible chat model; raises ``LLMError`` when it cannot."""

    def __init__(self, config: JudgeConfig, client: Any = None) -> None:
        import openai  # deferred: listing or comparing runs needs no model client

        self.config = config
        self._client = client or openai.OpenAI(api_key=config.api_key or "not-needed", base_url=config.base_url,
                                               timeout=config.timeout_s, max_retries=2)

    def _once(self, prompt: str) -> tuple[dict[str, float], int, int]:
        import openai

        from assistant.adapters.llm import translate_error

        try:
            response = self._client.chat.completions.create(
                model=self.config.model, temperature=0, seed=0,
                messages=[{"role": "system", "content": _SYSTEM}, {"role": "user", "content": prompt}])
        except openai.OpenAIError as exc:
            raise translate_error(exc) from exc
        try:
            text = response.choices[0].message.content or ""
            match = _OBJECT.search(text)
            data = json.loads(match.group(0) if match else text)
            scores = {"faithfulness": _unit(data["faithfulness"]), "relevance": _unit(data["relevance"])}
        except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
            raise LLMError(f"the judge's reply is not the expected JSON: {exc}",
                           hint="pin a model that follows instructions with KB_ASSISTANT_JUDGE_MODEL") from exc
        usage = getattr(response, "usage", None)
        return scores, int(getattr(usage, "prompt_tokens", 0) or 0), int(getattr(usage, "completion_tokens", 0) or 0)

    def grade(self, question: str, answer: str, passages: Sequence[str]) -> dict[str, Any]:
        """Mean faithfulness and relevance over the configured repeats, with tokens and cost."""
        context = "\n\n".join(p[:_MAX_PASSAGE_CHARS] for p in passages) or "(no passage was cited)"
        prompt = f"QUESTION:\n{question}\n\nPASSAGES:\n{context}\n\nANSWER:\n{answer}"
        runs = [self._once(prompt) for _ in range(self.config.repeats)]
        prompt_tokens = sum(r[1] for r in runs)
        completion_tokens = sum(r[2] for r in runs)
        price = self.config.price_per_mtok
        return {
            "faithfulness": sum(r[0]["faithfulness"] for r in runs) / len(runs) if passages else None,
            "relevance": sum(r[0]["relevance"] for r in runs) / len(runs),
            "runs": [r[0] for r in runs],
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "cost_usd": None if price is None else
            round((prompt_tokens * price[0] + completion_tokens * price[1]) / 1_000_000, 6),
        }
