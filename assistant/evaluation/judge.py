"""The optional LLM judge: claim-level faithfulness to what the answer was built from, and relevance.

Only when configured (KB_ASSISTANT_JUDGE_MODEL, with its own KB_ASSISTANT_JUDGE_BASE_URL and
KB_ASSISTANT_JUDGE_API_KEY, which default to OPENAI_BASE_URL / OPENAI_API_KEY); never needed by CI.
The judge lists the answer's claims and says for each whether the grounds support it, with its
reason; faithfulness is the supported share. The model is pinned by name, temperature 0, each
question judged ``repeats`` times and averaged; token use and cost are reported.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assistant.errors import LLMError, UsageError

__all__ = ["PROMPT_VERSION", "Judge", "JudgeConfig"]

PROMPT_VERSION = "judge-v2-claims"
# USD per million input / output tokens of pinned model snapshots; override with KB_ASSISTANT_JUDGE_PRICE.
_PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini-2024-07-18": (0.15, 0.60),
    "gpt-4o-2024-08-06": (2.50, 10.00),
    "gpt-4.1-mini-2025-04-14": (0.40, 1.60),
    "gpt-4.1-2025-04-14": (2.00, 8.00),
}
_SYSTEM = (
    "You grade the answers of a support assistant for AWS access problems. Reply with one JSON object "
    'and nothing else: {"claims": [{"claim": "…", "supported": true, "reason": "…"}], "relevance": R, '
    '"reason": "one sentence"}. List every factual claim of the ANSWER (one short sentence each). A claim is '
    "supported when the GROUNDS state it or it follows from them, or when it restates what the QUESTION "
    "says about the customer's own policy or error; the reason names the passage or says what is missing. "
    "R (0 to 1): how completely and directly the answer addresses the QUESTION. "
    "Answers may be in Japanese or English; grade the content, not the language."
)
_OBJECT = re.compile(r"\{.*\}", re.DOTALL)
_MAX_GROUNDS_CHARS = 60_000  # whole articles are a few KB; this only stops a runaway prompt
_HINT = "check KB_ASSISTANT_JUDGE_BASE_URL, KB_ASSISTANT_JUDGE_API_KEY and KB_ASSISTANT_JUDGE_MODEL"


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
        api_key = env.get("KB_ASSISTANT_JUDGE_API_KEY") or env.get("OPENAI_API_KEY") or None
        base_url = env.get("KB_ASSISTANT_JUDGE_BASE_URL") or env.get("OPENAI_BASE_URL") or None
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
        try:
            timeout = float(env.get("KB_ASSISTANT_JUDGE_TIMEOUT", "60"))
        except ValueError as exc:
            raise UsageError("KB_ASSISTANT_JUDGE_TIMEOUT must be a number of seconds") from exc
        return cls(model, api_key, base_url, repeats, timeout, price)

    def to_json(self) -> dict[str, Any]:
        """The configuration as stored with a run (no key)."""
        return {"model": self.model, "base_url": self.base_url, "repeats": self.repeats, "temperature": 0,
                "prompt": PROMPT_VERSION, "price_usd_per_mtok": list(self.price_per_mtok) if self.price_per_mtok
                else None}


def _unit(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValueError(f"score out of range: {value!r}")
    return float(value)


def _claims(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise ValueError("'claims' must be a list")
    claims = []
    for item in value:
        if not isinstance(item, Mapping) or not isinstance(item.get("supported"), bool):
            raise ValueError(f"a claim must have a boolean 'supported': {item!r}"[:200])
        claims.append({"claim": str(item.get("claim") or ""), "supported": item["supported"],
                       "reason": str(item.get("reason") or "")})
    return claims


class Judge:
    """Grades answers with an OpenAI-compatible chat model; raises ``LLMError`` when it cannot."""

    def __init__(self, config: JudgeConfig, client: Any = None) -> None:
        import openai  # deferred: listing or comparing runs needs no model client

        self.config = config
        self._client = client or openai.OpenAI(api_key=config.api_key or "not-needed", base_url=config.base_url,
                                               timeout=config.timeout_s, max_retries=1)

    def _once(self, prompt: str) -> tuple[dict[str, Any], int, int]:
        import openai

        from assistant.adapters.llm import translate_error

        try:
            response = self._client.chat.completions.create(
                model=self.config.model, temperature=0, seed=0,
                messages=[{"role": "system", "content": _SYSTEM}, {"role": "user", "content": prompt}])
        except openai.OpenAIError as exc:
            raise LLMError(f"the judge failed: {translate_error(exc).message}", hint=_HINT) from exc
        try:
            text = response.choices[0].message.content or ""
            match = _OBJECT.search(text)
            data = json.loads(match.group(0) if match else text)
            claims = _claims(data["claims"])
            run = {"faithfulness": sum(c["supported"] for c in claims) / len(claims) if claims else None,
                   "relevance": _unit(data["relevance"]), "claims": claims, "reason": str(data.get("reason") or "")}
        except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
            raise LLMError(f"the judge's reply is not the expected JSON: {exc}"[:300],
                           hint="pin a model that follows instructions with KB_ASSISTANT_JUDGE_MODEL") from exc
        usage = getattr(response, "usage", None)
        return run, int(getattr(usage, "prompt_tokens", 0) or 0), int(getattr(usage, "completion_tokens", 0) or 0)

    def grade(self, question: str, answer: str, grounds: Sequence[str]) -> dict[str, Any]:
        """Claims with their support and reasons, mean faithfulness and relevance over the repeats, cost."""
        context = "\n\n".join(grounds)[:_MAX_GROUNDS_CHARS] or "(the answer was built on no passage)"
        prompt = f"QUESTION:\n{question}\n\nGROUNDS:\n{context}\n\nANSWER:\n{answer}"
        runs = [self._once(prompt) for _ in range(self.config.repeats)]
        prompt_tokens = sum(r[1] for r in runs)
        completion_tokens = sum(r[2] for r in runs)
        price = self.config.price_per_mtok
        faithful = [r[0]["faithfulness"] for r in runs if r[0]["faithfulness"] is not None]
        return {
            "faithfulness": sum(faithful) / len(faithful) if faithful else None,
            "relevance": sum(r[0]["relevance"] for r in runs) / len(runs),
            "claims": runs[0][0]["claims"],
            "reason": runs[0][0]["reason"],
            "runs": [{"faithfulness": r[0]["faithfulness"], "relevance": r[0]["relevance"]} for r in runs],
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "cost_usd": None if price is None else
            round((prompt_tokens * price[0] + completion_tokens * price[1]) / 1_000_000, 6),
        }
