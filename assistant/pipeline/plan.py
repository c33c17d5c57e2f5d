"""The answer plan: what this customer's answer says and in which order, decided before any wording.

Built by pure functions from the question, the engine's diagnoses and fix, and the chosen article
parts: the direct answer first, then the customer's own case (diagnosis, one verified fix, what it
newly allows, warnings on their policy, what is still needed), then the article section for the
intent, then citations. ``render`` realizes a plan in one language; the LLM brief carries the same plan.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum

from assistant.adapters.articles import Article, FaqEntry, Slot
from assistant.engine.evaluator import StatementTrace
from assistant.engine.model import Condition, Decision, Finding
from assistant.engine.propose import Obstacle
from assistant.pipeline.compose import (
    CandidateCheck,
    Fix,
    FixSource,
    adapt,
    asks_its_point,
    checks_heading,
    example_names,
    rank_faq,
    section_kinds,
    section_paragraphs,
)
from assistant.pipeline.diagnosis import Diagnosis
from assistant.pipeline.question import Demand, Intent, Question

__all__ = ["AnswerPlan", "Citation", "DiagnosisPoint", "Material", "NearMiss", "Scope", "build_plan"]

_FAQ_MATCH = 0.5  # share of an FAQ question's terms the customer's question must contain to be "that question"
_MORE_FAQ = 0.1
_MAX_MORE_FAQ = 4
_DIRECT_FAQ_INTENTS = frozenset({Intent.WHY, Intent.WHAT, Intent.DIFFERENCE, Intent.YES_NO, Intent.HOW_TO,
                                 Intent.REVIEW})


class Scope(StrEnum):
    """Whether the knowledge base answers the question."""

    COVERED = "covered"
    UNCOVERED = "uncovered"  # an access question no article covers
    NOT_ACCESS = "not_access"  # not an AWS access question at all
    INSTRUCTION = "instruction"  # aimed at the assistant


@dataclass(frozen=True)
class NearMiss:
    """An Allow statement that came close to an implicitly denied request, and what it lacked."""

    statement: str
    lacks: str  # "resource" | "action" | "condition"
    resources: tuple[str, ...]


@dataclass(frozen=True)
class DiagnosisPoint:
    """One denied request as the answer tells it."""

    action: str
    resource: str
    decision: Decision | None
    policy_type: str | None
    statement: str | None  # the deciding Deny: its Sid, else "#n" (1-based)
    not_action: bool
    conditions: tuple[str, ...]
    near: tuple[NearMiss, ...]
    reproduced: bool | None
    evaluated: bool


@dataclass(frozen=True)
class Citation:
    """An article the answer rests on: its title and the AWS documentation it is based on."""

    id: str
    lang: str
    title: str
    references: tuple[str, ...]


@dataclass(frozen=True)
class Material:
    """Everything the plan is built from (the pipeline gathers it; nothing here does I/O)."""

    question: Question
    scope: Scope
    diagnoses: tuple[Diagnosis, ...] = ()
    policies_pasted: bool = False
    candidates: tuple[CandidateCheck, ...] = ()
    fix: Fix | None = None
    obstacles: tuple[Obstacle, ...] = ()
    missing_slots: tuple[Slot, ...] = ()
    warnings: tuple[Finding, ...] = ()
    articles: tuple[Article, ...] = ()
    reviewed: tuple[Finding, ...] | None = None  # "is my policy right?": the checker's other findings on it


@dataclass(frozen=True)
class AnswerPlan:
    """The content of one answer, in order; renderers add no content of their own."""

    lang: str
    scope: Scope
    intent: Intent
    refusals: tuple[Demand, ...]
    direct: str
    diagnoses: tuple[DiagnosisPoint, ...]
    assumed_no_mfa: bool
    candidates: tuple[CandidateCheck, ...]
    fix: Fix | None
    obstacles: tuple[Obstacle, ...]
    warnings: tuple[Finding, ...]
    reviewed: tuple[Finding, ...] | None
    ask_policy: bool
    ask_slots: tuple[Slot, ...]
    sections: tuple[tuple[str, tuple[str, ...]], ...]  # ("cause" | "steps" | the article's heading, paragraphs)
    more_faq: tuple[FaqEntry, ...]
    citations: tuple[Citation, ...]


def _label(trace: StatementTrace) -> str:
    return trace.statement.sid or f"#{trace.statement.index + 1}"


def _condition(condition: Condition) -> str:
    return f"{condition.operator} {condition.key} = {', '.join(condition.values)}"


def _point(diagnosis: Diagnosis) -> DiagnosisPoint:
    evaluation = diagnosis.evaluation
    request = diagnosis.request
    if evaluation is None:
        return DiagnosisPoint(request.action, request.resource, diagnosis.denial.decision,
                              diagnosis.denial.kind.value if diagnosis.denial.kind else None, None, False, (), (),
                              None, False)
    deciding = evaluation.deciding[0] if evaluation.decision is Decision.EXPLICIT_DENY and evaluation.deciding \
        else None
    near: list[NearMiss] = []
    if evaluation.decision is Decision.IMPLICIT_DENY:
        for trace in evaluation.traces:
            if trace.effect != "Allow" or trace.kind not in evaluation.blocked_by:
                continue
            if trace.action_matched and not trace.resource_matched:
                near.append(NearMiss(_label(trace), "resource", trace.statement.resource or ()))
            elif trace.action_matched and trace.resource_matched and trace.failed_conditions:
                near.append(NearMiss(_label(trace), "condition",
                                     tuple(_condition(c) for c in trace.failed_conditions)))
    return DiagnosisPoint(
        request.action, request.resource, evaluation.decision,
        evaluation.reason_kind.value if evaluation.reason_kind else None,
        _label(deciding) if deciding else None,
        bool(deciding and deciding.statement.not_action is not None),
        tuple(_condition(c) for c in deciding.statement.conditions) if deciding else (),
        tuple(near[:2]), diagnosis.reproduced, True)


def _direct(question: Question, article: Article, has_case: bool) -> tuple[str, FaqEntry | None]:
    """The best FAQ answer when the customer asked that question, else the article's direct answer."""
    text = question.search_text or question.text
    if question.intent in _DIRECT_FAQ_INTENTS or not has_case:
        asked = next((entry for score, entry in rank_faq(article, text)
                      if score >= _FAQ_MATCH and asks_its_point(article, text, entry)), None)
        if asked is not None:
            return asked.a, asked
    return article.answer or article.summary, None


def build_plan(material: Material) -> AnswerPlan:
    """Decide the answer's content and order."""
    question = material.question
    refusals = tuple(question.demands)
    diagnoses = tuple(_point(d) for d in material.diagnoses)
    covered = material.scope is Scope.COVERED and bool(material.articles)
    article = material.articles[0] if covered else None
    direct, used = _direct(question, article, bool(diagnoses)) if article else ("", None)
    sections: list[tuple[str, tuple[str, ...]]] = []
    more: tuple[FaqEntry, ...] = ()
    if article is not None:
        # the customer's own words and the fix shown may name things; the article's example may not
        shown = question.search_text + (json.dumps(material.fix.policy) if material.fix else "")
        hidden = {n: k for n, k in example_names(article).items() if n not in shown}
        intent = question.intent
        if intent is Intent.FIX and material.fix is None and not diagnoses:
            intent = Intent.HOW_TO
        engine_fix = material.fix is not None and material.fix.source == FixSource.ENGINE
        evaluated = any(p.evaluated for p in diagnoses)
        checks = checks_heading(article)
        for kind in (*section_kinds(intent), *((checks,) if checks else ())):
            if kind == "cause" and evaluated:
                continue  # the engine's diagnosis is this customer's cause
            paragraphs = section_paragraphs(article, kind, hidden, question.facts, other_fix=engine_fix)
            if paragraphs:
                sections.append((kind, paragraphs))
        more = tuple(entry for score, entry in rank_faq(article, question.search_text or question.text)
                     if score >= _MORE_FAQ and entry is not used and entry.a not in direct
                     and adapt(entry.q + " " + entry.a, hidden, question.facts) == entry.q + " " + entry.a
                     )[:_MAX_MORE_FAQ]
    citations = tuple(Citation(a.id, a.lang, a.title, a.references) for a in material.articles) if covered else ()
    instruction = material.scope is Scope.INSTRUCTION
    return AnswerPlan(
        lang=question.lang,
        scope=material.scope,
        intent=question.intent,
        refusals=() if instruction else refusals,
        direct=direct,
        diagnoses=() if instruction else diagnoses,
        assumed_no_mfa=question.mfa_present == "false" and material.policies_pasted and bool(diagnoses),
        candidates=material.candidates,
        fix=material.fix if not instruction else None,
        obstacles=material.obstacles,
        warnings=material.warnings,
        reviewed=material.reviewed,
        ask_policy=bool(diagnoses) and not material.policies_pasted,
        ask_slots=material.missing_slots,
        sections=tuple(sections),
        more_faq=more,
        citations=citations,
    )

