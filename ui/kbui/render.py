"""Widgets that show an answer and its grounds: diagnoses, policies with the checker's badge, a
verified fix with its diff, citations linking to the in-app article, feedback, and the status area.

User text and engine messages (which quote user values) are shown as text or escaped Markdown;
nothing is rendered as HTML. Model-written Markdown shows no images: ``![alt](url)`` would make the
browser fetch an outside address (a tracking pixel, or data in the query string), so it becomes a link.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import streamlit as st

from assistant.adapters.articles import Article
from assistant.errors import AssistantError
from assistant.feedback import FeedbackEntry, Rating
from kbui.logic import (
    age,
    article_excerpt,
    badge_of,
    diff_base,
    escape_markdown,
    pretty,
    safe_markdown,
    side_by_side,
)
from kbui.resources import feedback_store
from kbui.texts import TEXTS, text

__all__ = ["KB_PAGE", "answer_markdown", "render_answer", "render_diagnoses", "render_findings", "render_fix",
           "render_policy", "render_status"]

KB_PAGE = "views/knowledge.py"
_BADGE_COLORS = {"verified": "green", "valid": "blue", "invalid": "red"}
_BADGE_ICONS = {"verified": ":material/verified:", "valid": ":material/check:", "invalid": ":material/error:"}
_DECISION_COLORS = {"ExplicitlyDenied": "red", "ImplicitlyDenied": "orange", "Allowed": "green"}
_SEVERITY_COLORS = {"ERROR": "red", "SECURITY_WARNING": "orange", "WARNING": "yellow", "SUGGESTION": "gray"}
# "![" opening an inline or reference image; a preceding backslash escapes it in Markdown.
_IMAGE = re.compile(r"(?<!\\)!(?=\[)")


def answer_markdown(answer: str) -> str:
    """An answer's Markdown for ``st.markdown``: ARN-safe, and images turned into plain links."""
    return safe_markdown(_IMAGE.sub("", answer))


def _code(value: object) -> str:
    """A value as a Markdown code span (backticks in it cannot close the span)."""
    return "`" + str(value).replace("`", "'") + "`"


def render_findings(findings: Sequence[Mapping[str, Any]], lang: str) -> None:
    """Each finding: severity, code, message in ``lang``, where, and the hint."""
    for item in findings:
        message = item.get("message_ja") if lang == "ja" and item.get("message_ja") else item.get("message", "")
        where = []
        if item.get("path"):
            where.append(_code(item["path"]))
        if item.get("line"):
            where.append(f"{item['line']}:{item.get('column') or 1}")
        hint = f" — {escape_markdown(str(item['hint']))}" if item.get("hint") else ""
        severity = str(item.get("severity", ""))
        st.markdown(f":{_SEVERITY_COLORS.get(severity, 'gray')}-badge[{severity}] {_code(item.get('code', ''))} "
                    f"{escape_markdown(str(message))} {' '.join(where)}{hint}")


def render_fix(fixed: Any, base: Any, lang: str, *, changes: Sequence[str] = (), newly_granted: Sequence[str] = (),
               key: str) -> None:
    """A verified fix: the corrected policy (copy button), a side-by-side diff against ``base``, what changed."""
    with st.container(key=f"fix_{key}"):
        st.markdown(f"**{text('fix_title', lang)}**")
        st.code(pretty(fixed), language="json")
        st.caption(text("fix_copy", lang))
        if base is not None:
            st.markdown(f"**{text('diff_title', lang)}**")
            left, right = side_by_side(pretty(base), pretty(fixed))
            before, after = st.columns(2)
            with before:
                st.caption(text("diff_before", lang))
                st.code(left, language="diff")
            with after:
                st.caption(text("diff_after", lang))
                st.code(right, language="diff")
        if changes:
            st.markdown(f"**{text('changes', lang)}**")
            st.markdown("\n".join(f"- {escape_markdown(c)}" for c in changes))
        if newly_granted:
            with st.expander(text("newly_granted", lang)):
                st.markdown("\n".join(f"- {escape_markdown(g)}" for g in newly_granted))


def render_diagnoses(diagnoses: Sequence[Mapping[str, Any]], lang: str, key: str) -> None:
    """Each diagnosis: the decision, the request, the deciding statement and why."""
    if not diagnoses:
        return
    st.markdown(f"#### {text('diagnoses', lang)}")
    for number, item in enumerate(diagnoses, start=1):
        decision = item.get("decision")
        with st.container(border=True, key=f"diag_{key}_{number}"):
            label = text(f"decision_{decision}", lang) if decision in _DECISION_COLORS else text("decision_unknown",
                                                                                                  lang)
            st.markdown(f"**{text('diagnosis_title', lang, number=number, action=_code(item.get('action')))}** "
                        f":{_DECISION_COLORS.get(str(decision), 'gray')}-badge[{escape_markdown(label)}]")
            st.markdown(f"{text('resource', lang)}: {_code(item.get('resource') or '*')}")
            policy_type = item.get("policy_type") or "identity"
            if item.get("statement_index") is not None:
                template = "statement_value" if item.get("statement_sid") else "statement_value_nosid"
                statement = text(template, lang, policy_type=policy_type, index=item["statement_index"],
                                 sid=escape_markdown(str(item.get("statement_sid"))))
            elif decision and decision != "Allowed":
                statement = text("no_statement", lang, policy_type=policy_type)
            else:
                statement = ""
            if statement:
                st.markdown(f"{text('statement', lang)}: {statement}")
            why = item.get("explanation_ja") if lang == "ja" and item.get("explanation_ja") else item.get(
                "explanation")
            if why:
                st.markdown(f"{text('why', lang)}: {escape_markdown(str(why))}")
            reproduced = item.get("reproduced")
            st.caption(text("reproduced" if reproduced else "not_evaluated" if reproduced is None
                            else "not_reproduced", lang))
            if item.get("message"):
                with st.expander(text("message", lang)):
                    st.text(str(item["message"]))


def _badge(kind: str, lang: str) -> str:
    return f":{_BADGE_COLORS[kind]}-badge[{_BADGE_ICONS[kind]} {text('badge_' + kind, lang)}]"


def render_policy(entry: Mapping[str, Any], label: str, lang: str, *, base: Any, key: str) -> None:
    """One policy with the checker's badge (verified fix / valid / invalid) and its findings."""
    kind = badge_of(entry)
    with st.container(border=True, key=f"policy_{key}"):
        st.markdown(f"**{escape_markdown(label)}** {_badge(kind, lang)}")
        findings = entry.get("findings") or []
        if findings:
            st.markdown(f"_{text('findings', lang)}_")
            render_findings(findings, lang)
        if entry.get("resolves"):
            st.markdown(f"{text('resolves', lang)}: " + ", ".join(_code(r) for r in entry["resolves"]))
        value = entry.get("json")
        if value is None:
            if entry.get("repaired_json") is not None:
                with st.expander(text("unreadable_json", lang)):
                    st.code(pretty(entry["repaired_json"]), language="json")
            return
        if entry.get("source") == "suggested" and kind == "verified":
            render_fix(value, base, lang, changes=entry.get("changes") or (),
                       newly_granted=entry.get("newly_granted") or (), key=key)
        else:
            with st.expander(text("show_json", lang)):
                st.code(pretty(value), language="json")


def _policies(policies: Sequence[Mapping[str, Any]], lang: str, key: str) -> None:
    if not policies:
        return
    st.markdown(f"#### {text('policies', lang)}")
    counters = {"question": 0, "answer": 0}
    for index, entry in enumerate(policies):
        source = str(entry.get("source", "question"))
        if source in counters:
            counters[source] += 1
            label = text(f"source_{source}", lang, number=counters[source])
        else:
            label = text("source_suggested", lang)
        base = diff_base(policies, entry["json"]) if source == "suggested" and entry.get("json") else None
        render_policy(entry, label, lang, base=base, key=f"{key}_{index}")


def _citations(citations: Sequence[Mapping[str, Any]], articles: Mapping[tuple[str, str], Article], lang: str,
               key: str) -> None:
    if not citations:
        return
    st.markdown(f"#### {text('citations', lang)}")
    for index, citation in enumerate(citations):
        article_id, article_lang = str(citation.get("id")), str(citation.get("lang"))
        with st.container(border=True, key=f"cite_{key}_{index}"):
            st.markdown(f"**{escape_markdown(str(citation.get('title') or article_id))}** "
                        f":gray-badge[{escape_markdown(article_lang)}] {_code(article_id)}")
            article = articles.get((article_id, article_lang))
            if article is None:
                st.caption(text("article_missing", lang))
                continue
            with st.expander(text("excerpt", lang)):
                st.markdown(safe_markdown(article_excerpt(article)))
            st.page_link(KB_PAGE, label=text("open_article", lang), icon=":material/article:",
                         query_params={"article": article_id, "lang": article_lang})


def _save_feedback(message: Mapping[str, Any]) -> None:
    """Callback of the thumbs and the comment: store (or withdraw) the rating of one answer."""
    answer_id = str(message["id"])
    rating = st.session_state.get(f"fb_{answer_id}")
    comment = str(st.session_state.get(f"fbc_{answer_id}") or "")
    answer = message["answer"]
    try:
        if rating is None:
            feedback_store().remove(answer_id)
            st.session_state[f"fbs_{answer_id}"] = ""
            return
        feedback_store().record(FeedbackEntry(
            answer_id=answer_id, rating=Rating.UP if rating == 1 else Rating.DOWN, question=message["question"],
            answer=answer["answer"], lang=answer["lang"], mode=answer["mode"], in_scope=bool(answer["in_scope"]),
            citations=tuple(answer["citations"]), diagnoses=tuple(answer["diagnoses"]),
            history=tuple(message.get("history") or ()), comment=comment.strip(),
            model=message.get("model")))
        st.session_state[f"fbs_{answer_id}"] = "saved"
    except AssistantError as exc:
        st.session_state[f"fbs_{answer_id}"] = str(exc)


def _feedback(message: Mapping[str, Any], lang: str) -> None:
    answer_id = str(message["id"])
    with st.container(key=f"feedback_{answer_id}"):
        st.caption(text("feedback_ask", lang))
        st.feedback("thumbs", key=f"fb_{answer_id}", on_change=_save_feedback, args=(message,))
        if st.session_state.get(f"fb_{answer_id}") is not None:
            st.text_input(text("feedback_comment", lang), key=f"fbc_{answer_id}", on_change=_save_feedback,
                          args=(message,))
        status = st.session_state.get(f"fbs_{answer_id}")
        if status == "saved":
            st.caption(text("feedback_saved", lang))
        elif status:
            st.error(text("feedback_failed", lang, error=status))


def render_answer(message: Mapping[str, Any], articles: Mapping[tuple[str, str], Article], lang: str, *,
                  show_text: bool = True) -> None:
    """A complete answer: its text, notices, diagnoses, policies, citations and the feedback widget."""
    answer = message["answer"]
    key = str(message["id"])
    if show_text:
        st.markdown(answer_markdown(answer["answer"]))
    for notice in answer.get("notices") or ():
        st.info(escape_markdown(str(notice)), icon=":material/info:")
    render_diagnoses(answer.get("diagnoses") or (), lang, key)
    _policies(answer.get("policies") or (), lang, key)
    _citations(answer.get("citations") or (), articles, lang, key)
    mode = text("mode_used_llm" if answer.get("mode") == "llm" else "mode_used_deterministic", lang)
    timings = ", ".join(f"{text(f'stage_{k}', lang) if f'stage_{k}' in TEXTS else k} {v:.0f}"
                        for k, v in (answer.get("timings_ms") or {}).items())
    st.caption(f"{mode} · {text('timings', lang, timings=timings)}")
    _feedback(message, lang)


def render_status(status: Mapping[str, Any], lang: str) -> None:
    """The status area: mode and model, index size and freshness, knowledge-base version."""
    with st.container(key="status"):
        st.markdown(f"**{text('status', lang)}**")
        if status.get("mode") == "llm":
            st.caption(escape_markdown(text("status_mode_llm", lang, model=status.get("model") or "?")))
        else:
            st.caption(text("status_mode_deterministic", lang))
        index = status.get("index") or {}
        if "articles" in index:
            st.caption(text("status_index", lang, articles=index["articles"], files=index.get("files", "?")))
        if index.get("error"):
            st.caption(escape_markdown(str(index["error"])))
        elif index.get("published"):
            if "chunks" in index:
                st.caption(escape_markdown(text("status_chunks", lang, chunks=index["chunks"],
                                                model=index.get("embedding", ""))))
            st.caption(text("status_built", lang, published=str(index["published"])[:19].replace("T", " "),
                            age=age(str(index["published"]), lang=lang)))
            if index.get("stale"):
                st.caption(text("status_stale", lang))
        elif index.get("built") is False:
            st.caption(text("status_not_built", lang))
        if "articles" in index and status.get("kb_updated"):
            st.caption(text("status_kb", lang, articles=index["articles"], updated=status["kb_updated"]))
