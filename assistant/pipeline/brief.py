"""The model's brief: what a support engineer has at hand, as chat messages.

The whole matching article(s) (they are short) with their FAQ, the customer's facts, the engine's
diagnoses and the verified least-privilege fix, and the deterministic answer plan rendered in the
customer's language as a baseline the model must not fall below. General AWS knowledge is allowed
for context; every statement about the customer's policies comes from the checker, and every policy
shown is checked by the guard afterwards.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from assistant.adapters.articles import Article
from assistant.pipeline.plan import AnswerPlan, Scope
from assistant.pipeline.question import Question
from assistant.pipeline.render import render_markdown

__all__ = ["brief_messages"]

_HISTORY_TURNS = 6
_LANGUAGE = {"ja": "Japanese", "en": "English"}


def _article(article: Article) -> str:
    faq = "\n".join(f"- Q: {e.q}\n  A: {e.a}" for e in article.faq)
    return (f"### [{article.id}] {article.title}\nDirect answer: {article.answer or article.summary}\n"
            f"References: {', '.join(article.references)}\nFAQ:\n{faq}\n\n{article.body.strip()}")


_SCOPE_RULES = {
    Scope.COVERED: "Cite the article ids you used in square brackets, e.g. [{example}]; cite no other ids. ",
    Scope.UNCOVERED: "No article in the knowledge base covers this question: say so plainly in your first sentence, "
                     "then help from general AWS knowledge (what the checker established, the likely causes, the "
                     "first steps) without presenting guesses as facts about the customer's account; cite no "
                     "article ids. ",
    Scope.NOT_ACCESS: "The question is not about AWS access permissions and no article covers it: reply briefly and "
                      "politely, say that you help with AWS access problems (access-denied errors, IAM policies), "
                      "and where a short general pointer helps the customer (another cloud's documentation, the AWS "
                      "pricing calculator) give it; cite no article ids. ",
}


def _rules(plan: AnswerPlan, lang: str) -> str:
    language = _LANGUAGE.get(lang, "English")
    example = plan.citations[0].id if plan.citations else "article-id"
    fix_rule = ("A VERIFIED FIX is given: show exactly that policy as the one recommended fix, list its changes and "
                "say what it newly allows, as in the BASELINE ANSWER." if plan.fix is not None else
                "No verified fix exists: do not write a policy of your own unless the question asks for an example, "
                "and then keep it to the least privilege needed.")
    return (
        f"You are an AWS access-support engineer answering a customer. Write only in {language}, in Markdown "
        "(code, ARNs, action names and JSON as they are). Start with the direct answer in 1-3 sentences; then the "
        "customer's own case (their errors, their policy, the fix); then the cause or the steps the question asks "
        "for. Use the articles below as your source and add general AWS knowledge where it helps the customer; "
        "every statement about the customer's policies must come from the CHECKER FINDINGS. Never tell the "
        "customer to read or see an article instead of answering: answer fully here. Never present an article's "
        "example (its user names, buckets, device names, Sids) as the customer's situation. Never widen access "
        "beyond the verified fix, never mark anything verified yourself, never grant Action '*'. "
        f"{fix_rule} {_SCOPE_RULES.get(plan.scope, '').format(example=example)}When a policy contains Principal "
        "it is a resource-based or trust policy: say which. If the baseline asks the customer for a value or a "
        "policy, ask for it too.")


def brief_messages(plan: AnswerPlan, question: Question, articles: Sequence[Article], checker: Mapping[str, Any],
                   history: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The chat messages for the model: the rules and the material, the conversation, the question."""
    material = "\n\n".join(_article(a) for a in articles) or "(no article matches)"
    system = "\n\n".join([
        _rules(plan, question.lang),
        "ARTICLES:\n" + material,
        "CUSTOMER FACTS (from the question):\n" + json.dumps(
            {"intent": question.intent.value, **question.facts.to_json()}, ensure_ascii=False),
        "CHECKER FINDINGS (diagnoses, the customer's policies, the verified fix):\n"
        + json.dumps(checker, ensure_ascii=False, indent=1),
        "BASELINE ANSWER (deterministic; yours must be at least as complete and as exact):\n" + render_markdown(plan),
    ])
    messages = [("system", system), *history[-_HISTORY_TURNS:]]
    messages.append(("user", question.text))
    return messages
