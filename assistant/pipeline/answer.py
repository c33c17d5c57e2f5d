"""The one answer pipeline the CLI, the API and the UI call: read → diagnose → retrieve → answer → guard.

Deterministic mode composes the reply from the diagnosis, the verified fix and the article; LLM
mode streams a model's reply grounded in the same material, then guards it (at most two repair
rounds; a failing policy is replaced by the verified fix; any model failure falls back to the
deterministic answer with a notice). The user always gets an answer.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.adapters.articles import Article, Slot, load_articles
from assistant.adapters.iam_catalog import IamDataCatalog
from assistant.adapters.llm import ChatModel, OpenAIChat
from assistant.config import Settings
from assistant.engine.catalog import Catalog
from assistant.engine.checker import CheckedPolicy, check_value
from assistant.engine.evaluator import PolicySet, evaluate
from assistant.engine.grants import newly_granted
from assistant.engine.model import Decision, Policy, PolicyType, Request, Severity
from assistant.engine.propose import Obstacle, propose_fix
from assistant.engine.verify import verify_fix
from assistant.errors import LLMError, UsageError
from assistant.pipeline.brief import brief_messages
from assistant.pipeline.compose import CandidateCheck, Fix, FixSource, fill_fix, security_warnings
from assistant.pipeline.diagnosis import Diagnosis, request_for
from assistant.pipeline.guard import inspect_policies, strip_citations, strip_unverified_claims, without_policies
from assistant.pipeline.plan import AnswerPlan, Material, Scope, build_plan
from assistant.pipeline.question import Intent, Question, Turn, mentioned_services, read_question
from assistant.pipeline.render import render_markdown, render_plain
from assistant.pipeline.stream_guard import hold_unchecked
from assistant.retrieval import Retriever, SearchResult
from assistant.wire import finding_json

__all__ = ["MODES", "Answer", "Assistant", "Turn"]

MODES = ("auto", "deterministic", "llm")
_REPAIR_ROUNDS = 2
_REPLACED_JA = "モデルの提案したポリシーは検証に通らなかったため、チェッカーで検証済みの修正案を示します:"
_REPLACED_EN = "The model's policy failed verification; here is the fix verified by the checker instead:"
_MAX_QUESTION = 100_000
# Anything that marks an AWS access question; a question with none of these is not one, whatever retrieval says
_ACCESS = re.compile(r"権限|アクセス|拒否|許可|ポリシー|iam|mfa|ロール|認証|認可|条件|タグ|バケット|ルート|アカウント|"
                     r"エンドポイント|\baws\b|aws:|accessdenied|unauthori|authoriz|permission|denied|policy|\brole\b|"
                     r"credential|assume|forbidden|\b403\b|trust|principal|condition|arn:|\bsid\b|\baction\b|"
                     r"\bresource\b|forallvalues|foranyvalue|notaction|access|sign.?in|サインイン|password|パスワード|"
                     r"bucket|\btags?\b|secret|\broot\b|account|endpoint|limitexceeded|quota|kubectl|\bacl\b|\bcdk\b|"
                     r"presign|署名付き|token|トークン",
                     re.IGNORECASE)
_PRICE = re.compile(r"いくら|料金|値段|費用|how much|\bcosts?\b|\bprices?\b|\bpricing\b", re.IGNORECASE)
_FOREIGN = re.compile(r"\bgcp\b|google cloud|bigquery|azure|entra|active directory|\bazure ad\b|oracle cloud",
                      re.IGNORECASE)
_FIX_INTENTS = frozenset({Intent.FIX, Intent.HOW_TO, Intent.REVIEW})  # the customer wants a policy
_GENERIC_SERVICES = frozenset({"iam", "sts", "aws", "organizations"})


@dataclass(frozen=True)
class Answer:
    """One answer and everything it rests on; ``to_json`` is the ``ask --json`` document."""

    answer: str
    lang: str
    mode: str
    in_scope: bool
    citations: tuple[dict[str, str], ...]
    diagnoses: tuple[dict[str, Any], ...]
    policies: tuple[dict[str, Any], ...]
    notices: tuple[str, ...] = ()
    timings_ms: dict[str, float] = field(default_factory=dict)
    retrieved: tuple[str, ...] = ()
    plain: str = ""  # the deterministic answer as plain text (CLI); not part of the JSON document

    def to_json(self) -> dict[str, Any]:
        """The ``ask --json`` document of CONTRACTS.md, with notices, per-stage timings and retrieved ids."""
        return {"answer": self.answer, "lang": self.lang, "mode": self.mode, "in_scope": self.in_scope,
                "citations": list(self.citations), "diagnoses": list(self.diagnoses),
                "policies": list(self.policies), "notices": list(self.notices), "timings_ms": self.timings_ms,
                "retrieved": list(self.retrieved)}


@dataclass(frozen=True)
class _Grounds:
    """What an answer is built on, shared by both modes."""

    question: Question
    diagnoses: tuple[Diagnosis, ...]
    attached: tuple[CheckedPolicy, ...]
    candidates: tuple[CandidateCheck, ...]
    candidate_entries: tuple[dict[str, Any], ...]
    fix: Fix | None
    fix_entry: dict[str, Any] | None
    obstacles: tuple[Obstacle, ...]
    search: SearchResult
    articles: tuple[Article, ...]
    scope: Scope
    plan: AnswerPlan

    @property
    def in_scope(self) -> bool:
        """True when an article answers the question."""
        return self.scope is Scope.COVERED


class Assistant:
    """The pipeline, holding only read-only shared resources (catalog, retriever, articles, model)."""

    def __init__(self, settings: Settings, catalog: Catalog, retriever: Retriever, articles: Sequence[Article],
                 llm: ChatModel | None = None) -> None:
        self.settings = settings
        self.catalog = catalog
        self.retriever = retriever
        self.articles = {(a.id, a.lang): a for a in articles}
        self.llm = llm

    @classmethod
    def from_settings(cls, settings: Settings) -> Assistant:
        """Build every resource from settings (slow: once per process)."""
        llm = OpenAIChat(settings) if settings.llm_enabled else None
        return cls(settings, IamDataCatalog(), Retriever(settings), load_articles(settings.kb_dir), llm)

    def status(self) -> dict[str, Any]:
        """Mode, model, index and knowledge-base facts for status displays and health checks."""
        ids = {article_id for article_id, _ in self.articles}
        updated = max((a.updated for a in self.articles.values()), default="")
        return {"mode": "llm" if self.llm else "deterministic", "model": getattr(self.llm, "name", None),
                "index": {"articles": len(ids), "files": len(self.articles)},
                "kb_version": f"{len(ids)} articles, updated {updated}"}

    # --- grounds ---------------------------------------------------------------------------------

    def _requests(self, question: Question) -> list[Request]:
        extra = {"aws:multifactorauthpresent": (question.mfa_present,)} if question.mfa_present else {}
        return [request_for(d, self.catalog, extra if ":user/" in d.principal else {}) for d in question.denials]

    def _attached(self, question: Question, requests: list[Request]) -> tuple[CheckedPolicy, ...]:
        """The pasted policies that reproduce the errors: all of them together, else the best single one."""
        readable = [p for p in question.policies if p.policy is not None]
        if not readable or not requests:
            return tuple(readable)

        def reproduced(policies: Sequence[CheckedPolicy]) -> int:
            policy_set = PolicySet(identity=tuple(p.policy for p in policies if p.policy is not None))
            return sum(1 for d, r in zip(question.denials, requests, strict=True)
                       if Diagnosis(d, r, evaluate(policy_set, r)).reproduced)

        if reproduced(readable) == len(requests):
            return tuple(readable)
        best = max(readable, key=lambda p: (reproduced([p]), -readable.index(p)))
        return (best,)

    def _grounds(self, question: Question, timings: dict[str, float]) -> _Grounds:
        started = time.perf_counter()
        requests = self._requests(question)
        attached = self._attached(question, requests)
        identity: tuple[Policy, ...] = tuple(p.policy for p in attached if p.policy is not None)
        policy_set = PolicySet(identity=identity)
        diagnoses = tuple(Diagnosis(d, r, evaluate(policy_set, r) if identity else None)
                          for d, r in zip(question.denials, requests, strict=True))
        denied = [d.request for d in diagnoses if d.evaluation and d.evaluation.decision is not Decision.ALLOWED]
        candidates: list[CandidateCheck] = []
        candidate_entries: list[dict[str, Any]] = []
        for number, pasted in enumerate(question.policies, start=1):
            if pasted in attached:
                continue
            candidate = pasted.usable_policy
            if candidate is None or not denied:
                continue
            verification = verify_fix(policy_set, PolicySet(identity=(candidate,)), denied, self.catalog)
            resolves = tuple(r.before.request.label for r in verification.resolutions if r.resolved)
            misses = tuple(r.before.request.label for r in verification.resolutions if not r.resolved)
            candidates.append(CandidateCheck(number, resolves, misses, pasted.policy is None))
            candidate_entries.append({
                "source": "question", "json": pasted.value, "valid": pasted.valid,
                "verified": verification.resolves_all and pasted.valid, "resolves": list(resolves),
                "findings": [finding_json(f) for f in pasted.findings],
                **({"repaired_json": pasted.repaired_value} if pasted.policy is None else {}),
            })
        fix: Fix | None = None
        fix_entry: dict[str, Any] | None = None
        obstacles: tuple[Obstacle, ...] = ()
        if denied and attached:
            proposal = propose_fix([p.value for p in attached], policy_set, denied, self.catalog)
            obstacles = proposal.obstacles
            if proposal.verified and proposal.verification is not None:
                changed = [(c, o.value) for c, o in zip(proposal.candidates, attached, strict=True) if c != o.value]
                policy, original = changed[0] if changed else (proposal.candidates[0], attached[0].value)
                resolves = tuple(r.before.request.label for r in proposal.verification.resolutions)
                fix = Fix(policy, original, proposal.edits, proposal.verification.grants, resolves)
        timings["analysis"] += (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        search = self.retriever.search(question.search_text or question.text, k=5)
        articles = self._cited(question, search, diagnoses)
        timings["retrieval"] = (time.perf_counter() - started) * 1000
        scope = self._scope(question, search, articles, diagnoses)
        articles = articles if scope is Scope.COVERED else ()
        missing: tuple[Slot, ...] = ()
        if fix is None and articles and not attached and question.intent in _FIX_INTENTS:
            fix, missing = fill_fix(articles[0], question.facts, [d.request for d in diagnoses], self.catalog)
        if fix is not None:
            fix_entry = self._fix_entry(fix, [d.request for d in diagnoses])
        warnings = tuple(f for p in question.policies for f in security_warnings(p.findings))
        reviewed = None
        if question.intent is Intent.REVIEW:
            reviewed = tuple(f for p in question.policies for f in p.findings
                             if f.severity in (Severity.ERROR, Severity.WARNING))
        material = Material(question, scope, diagnoses, bool(attached), tuple(candidates), fix, obstacles, missing,
                            warnings, articles, reviewed)
        return _Grounds(question, diagnoses, attached, tuple(candidates), tuple(candidate_entries), fix, fix_entry,
                        obstacles, search, articles, scope, build_plan(material))

    def _fix_entry(self, fix: Fix, requests: Sequence[Request]) -> dict[str, Any]:
        """The ``suggested`` policy entry of ``ask --json`` for a fix shown to the customer."""
        granted = [g.label for g in fix.grants]
        if fix.source == FixSource.ARTICLE and fix.policy_type == "identity" and requests:
            candidate = check_value(fix.policy, PolicyType.IDENTITY, self.catalog).policy
            if candidate is not None:
                granted = [g.label for g in newly_granted(PolicySet(), PolicySet(identity=(candidate,)), requests,
                                                          self.catalog)]
        return {"source": "suggested", "json": fix.policy, "valid": True, "verified": True,
                "resolves": list(fix.resolves), "findings": [], "changes": [e.text for e in fix.edits],
                "newly_granted": granted, "policy_type": fix.policy_type,
                **({"from_article": True} if fix.source == FixSource.ARTICLE else {})}

    def _scope(self, question: Question, search: SearchResult, articles: Sequence[Article],
               diagnoses: Sequence[Diagnosis]) -> Scope:
        """Whether an article answers: a matching error, else a retrieval hit whose article covers the
        services the question names; otherwise an access question no article covers, or no access question."""
        if question.intent is Intent.INSTRUCTION and not question.denials and not question.policies:
            return Scope.INSTRUCTION
        # a service name makes an access question, unless it is asked about prices ("what does EC2 cost?")
        about_service = bool(question.facts.services) and not _PRICE.search(question.text)
        access = bool(diagnoses or question.policies or question.facts.actions or about_service) or bool(
            _ACCESS.search(question.text))
        if not access or (_FOREIGN.search(question.text) and not question.denials):
            return Scope.NOT_ACCESS
        messages = {d.denial.text for d in diagnoses} | {d.evaluation.message for d in diagnoses
                                                          if d.evaluation and d.evaluation.message}
        if articles and any(e in messages for e in articles[0].errors):
            return Scope.COVERED
        named = set(question.facts.services) - _GENERIC_SERVICES
        if articles and (search.in_scope or diagnoses):
            article = articles[0]
            text = " ".join([article.title, article.body, article.answer, " ".join(article.tags),
                             " ".join(e.q + " " + e.a for e in article.faq)])
            if not named or named & set(mentioned_services(text)):
                return Scope.COVERED
        return Scope.UNCOVERED

    def _cited(self, question: Question, search: SearchResult, diagnoses: Sequence[Diagnosis]) -> tuple[Article, ...]:
        """The articles to cite: any whose listed errors match a diagnosed one, then the best hit."""
        lang = question.lang
        chosen: list[str] = []
        messages = {d.denial.text for d in diagnoses} | {d.evaluation.message for d in diagnoses
                                                          if d.evaluation and d.evaluation.message}
        actions = {d.request.action.lower() for d in diagnoses}
        for (article_id, article_lang), article in sorted(self.articles.items()):
            if article_lang != lang:
                continue
            if any(e in messages for e in article.errors) and article_id not in chosen:
                chosen.insert(0, article_id)
        if not chosen and actions:
            for hit in search.hits:
                listed = self.articles.get((hit.id, lang))
                if listed and any(a in " ".join(listed.errors).lower() for a in actions):
                    chosen.append(hit.id)
                    break
        if search.hits and search.in_scope and search.hits[0].id not in chosen:
            chosen.append(search.hits[0].id)
        return tuple(self.articles[(i, lang)] for i in chosen[:2] if (i, lang) in self.articles)

    # --- answers ---------------------------------------------------------------------------------

    def _deterministic_text(self, grounds: _Grounds) -> str:
        return render_markdown(grounds.plan)

    def _answer(self, grounds: _Grounds, text: str, mode: str, extra: Sequence[dict[str, Any]],
                notices: Sequence[str], timings: dict[str, float], cited: Sequence[str] | None = None) -> Answer:
        lang = grounds.question.lang
        articles = grounds.articles if cited is None else tuple(
            a for a in grounds.articles if a.id in cited) or grounds.articles
        policies = [{"source": "question", "json": p.value, "valid": p.valid, "verified": False, "resolves": [],
                     "findings": [finding_json(f) for f in p.findings]} for p in grounds.attached]
        policies += list(grounds.candidate_entries)
        if grounds.fix_entry and mode == "deterministic":
            policies.append(grounds.fix_entry)
        policies += list(extra)
        return Answer(text, lang, mode, grounds.in_scope,
                      tuple({"id": a.id, "lang": a.lang, "title": a.title} for a in articles),
                      tuple(d.to_json() for d in grounds.diagnoses), tuple(policies), tuple(notices),
                      {k: round(v, 2) for k, v in timings.items()},
                      tuple(dict.fromkeys([a.id for a in grounds.articles] + [h.id for h in grounds.search.hits])),
                      render_plain(grounds.plan) if mode == "deterministic" else "")

    def _prompt(self, grounds: _Grounds, history: Sequence[Turn]) -> list[tuple[str, str]]:
        checker: dict[str, Any] = {"diagnoses": [d.to_json() for d in grounds.diagnoses],
                   "customer_policies": [{"json": p.value, "valid": p.valid,
                                          "findings": [finding_json(f) for f in p.findings]}
                                         for p in grounds.question.policies],
                   "verified_fix": grounds.fix_entry,
                   "kept_denials": [o.text for o in grounds.obstacles]}
        return brief_messages(grounds.plan, grounds.question, grounds.articles, checker,
                              [(t.role, t.content) for t in history])

    def _llm_answer(self, grounds: _Grounds, history: Sequence[Turn],
                    timings: dict[str, float]) -> Iterator[str | Answer]:
        assert self.llm is not None
        messages = self._prompt(grounds, history)
        original = PolicySet(identity=tuple(p.policy for p in grounds.attached if p.policy is not None))
        denied = [d.request for d in grounds.diagnoses
                  if d.evaluation and d.evaluation.decision is not Decision.ALLOWED]
        # an answer no article covers cites none
        allowed = {a.id for a in grounds.articles} | {h.id for h in grounds.search.hits} if grounds.in_scope else set()
        notices: list[str] = []
        started = time.perf_counter()
        try:
            text = ""
            for chunk in self.llm.stream(messages):
                text += chunk
                yield chunk
            if not text.strip():
                raise LLMError("the model returned an empty answer")
            timings["generation"] = (time.perf_counter() - started) * 1000
            started = time.perf_counter()
            report = inspect_policies(text, self.catalog, original, denied, grounds.question.text)
            for _ in range(_REPAIR_ROUNDS):
                if not report.problems:
                    break
                notices.append("repaired: " + "; ".join(report.problems))
                messages += [("assistant", text), ("user", "The policy checker rejected the policy JSON in your "
                             "answer:\n- " + "\n- ".join(report.problems) + "\nReturn the corrected full answer.")]
                text = "".join(self.llm.stream(messages))
                report = inspect_policies(text, self.catalog, original, denied, grounds.question.text)
            text, claims = strip_unverified_claims(text, report)
            if claims:
                notices.append(f"removed {claims} line(s) claiming a verification the checker did not make")
            extra = list(report.passed)
            if report.problems:
                text = without_policies(text, report, grounds.question.lang)
                if grounds.fix is not None:
                    text += ("\n\n" + (_REPLACED_JA if grounds.question.lang == "ja" else _REPLACED_EN)
                             + "\n\n```json\n" + json.dumps(grounds.fix.policy, indent=2, ensure_ascii=False) + "\n```")
                    extra = [*extra, grounds.fix_entry] if grounds.fix_entry else extra
                notices.append("the model's policies that failed the checker after repair were removed")
            text, cited, removed = strip_citations(text, allowed)
            if removed:
                notices.append(f"removed citations of articles that were not retrieved: {', '.join(removed)}")
            timings["guard"] = (time.perf_counter() - started) * 1000
            yield self._answer(grounds, text, "llm", extra, notices, timings, cited)
        except LLMError as exc:
            timings["generation"] = (time.perf_counter() - started) * 1000
            notice = f"LLM unavailable ({exc.message}); showing the deterministic answer"
            text = self._deterministic_text(grounds)
            yield "\n\n---\n\n"
            yield text
            yield self._answer(grounds, text, "deterministic", [], [notice], timings)

    def stream(self, question: str, history: Sequence[Turn] = (), mode: str = "auto") -> Iterator[str | Answer]:
        """Yield the answer's Markdown in chunks as it is written, then the final ``Answer``."""
        if mode not in MODES:
            raise UsageError(f"unknown mode '{mode}'", hint="use auto, deterministic or llm")
        if not question.strip():
            raise UsageError("the question is empty")
        if len(question) > _MAX_QUESTION:
            raise UsageError(f"the question has {len(question)} characters; the limit is {_MAX_QUESTION}")
        timings = {"analysis": 0.0, "retrieval": 0.0, "generation": 0.0, "guard": 0.0}
        started = time.perf_counter()
        read = read_question(question, history, self.catalog)
        timings["analysis"] = (time.perf_counter() - started) * 1000
        grounds = self._grounds(read, timings)
        use_llm = mode == "llm" or (mode == "auto" and self.llm is not None)
        # the model writes every answer but the one-line reply to an instruction aimed at the assistant
        if use_llm and self.llm is not None and grounds.scope is not Scope.INSTRUCTION:
            yield from hold_unchecked(self._llm_answer(grounds, history, timings))  # nothing unchecked streams
            return
        started = time.perf_counter()
        text = self._deterministic_text(grounds)
        timings["generation"] = (time.perf_counter() - started) * 1000
        for paragraph in text.split("\n\n"):
            yield paragraph + "\n\n"
        notices = ["LLM mode requested but no model is configured (set OPENAI_API_KEY or OPENAI_BASE_URL)"] if (
            mode == "llm" and self.llm is None) else []
        yield self._answer(grounds, text, "deterministic", [], notices, timings)

    def ask(self, question: str, history: Sequence[Turn] = (), mode: str = "auto") -> Answer:
        """The complete answer."""
        final = None
        for item in self.stream(question, history, mode):
            if isinstance(item, Answer):
                final = item
        assert final is not None
        return final
