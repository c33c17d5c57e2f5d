"""The Streamlit front end (``kb-assistant ui``): the frame around every page — UI language, answer
mode, status area, "new conversation" — and the navigation between chat, policy checker,
knowledge base and (when the evaluation package is installed) evaluation runs.

The UI language follows the latest question's language unless the user picks one.
"""

from __future__ import annotations

import importlib.util

import streamlit as st
from kbui.logic import choose_language
from kbui.render import render_status
from kbui.resources import get_assistant, index_facts
from kbui.texts import text

from assistant.errors import AssistantError

LANG_CHOICES = ("auto", "ja", "en")
MODES = ("auto", "deterministic", "llm")


def _questions() -> list[str]:
    """The user's questions so far, plus the one submitted in this run (not yet in the history)."""
    asked = [m["content"] for m in st.session_state.get("history", []) if m["role"] == "user"]
    pending = st.session_state.get("chat_question")
    return [*asked, pending] if isinstance(pending, str) else asked


def _new_conversation() -> None:
    st.session_state["history"] = []


lang = choose_language(st.session_state.get("ui_lang_choice", "auto"), _questions(), st.context.locale)
st.session_state["lang"] = lang
st.set_page_config(page_title=text("app_title", lang), page_icon=":material/support_agent:", layout="wide")

with st.spinner(text("loading", lang)):
    assistant = get_assistant()

chat = st.Page("views/chat.py", title=text("page_chat", lang), icon=":material/chat:", default=True)
pages = [
    chat,
    st.Page("views/checker.py", title=text("page_checker", lang), icon=":material/policy:", url_path="checker"),
    st.Page("views/knowledge.py", title=text("page_kb", lang), icon=":material/menu_book:", url_path="knowledge-base"),
]
if importlib.util.find_spec("assistant.evaluation") is not None:
    pages.append(st.Page("views/evaluation.py", title=text("page_eval", lang), icon=":material/analytics:",
                         url_path="evaluation"))
page = st.navigation(pages)

with st.sidebar:
    st.markdown(f"### {text('app_title', lang)}")
    st.radio(text("ui_language", lang), LANG_CHOICES, key="ui_lang_choice", horizontal=True,
             format_func=lambda choice: text(f"lang_{choice}", lang))
    if page.url_path == chat.url_path:
        st.segmented_control(text("answer_mode", lang), MODES, key="answer_mode", default="auto", required=True,
                             format_func=lambda mode: text(f"mode_{mode}", lang))
        st.button(text("new_conversation", lang), icon=":material/add_comment:", on_click=_new_conversation,
                  key="new_conversation", width="stretch")
    st.divider()
    status = index_facts(assistant)
    render_status(status, lang)
    if status["index"].get("built") is False and st.button(text("build_index", lang), key="build_index"):
        with st.spinner(text("building_index", lang)):
            try:
                assistant.retriever.generation()
            except AssistantError as exc:
                st.error(str(exc))
        index_facts.clear()
        st.rerun()

st.title(page.title)
page.run()
