"""The chat page: the conversation in ``st.session_state``, answers streamed from ``Assistant.stream``
while the input is locked (it offers stop), and each answer's grounds and feedback below it.
"""

from __future__ import annotations

import uuid
from typing import Any

import streamlit as st
from kbui.render import answer_markdown, render_answer
from kbui.resources import get_assistant, index_facts
from kbui.texts import text

from assistant.errors import AssistantError
from assistant.pipeline.answer import Answer, Turn

HISTORY = "history"
QUESTION = "chat_question"

lang: str = st.session_state.get("lang", "ja")
mode: str = st.session_state.get("answer_mode", "auto")
assistant = get_assistant()
history: list[dict[str, Any]] = st.session_state.setdefault(HISTORY, [])


def _turns(messages: list[dict[str, Any]]) -> list[Turn]:
    """The conversation so far as the pipeline's turns (answers by their text)."""
    turns = []
    for message in messages:
        if message["role"] == "user":
            turns.append(Turn("user", message["content"]))
        elif "answer" in message:
            turns.append(Turn("assistant", message["answer"]["answer"]))
    return turns


def _show_user(content: str) -> None:
    with st.chat_message("user"):
        st.text(content)  # the user's words exactly as typed: no Markdown, no HTML


if not history and not st.session_state.get(QUESTION):
    st.info(text("chat_intro", lang), icon=":material/support_agent:")

for position, message in enumerate(history):
    if message["role"] == "user":
        _show_user(message["content"])
        answered = position + 1 < len(history) and history[position + 1]["role"] == "assistant"
        if not answered:  # its answer was stopped (the question being answered now is not in history yet)
            with st.chat_message("assistant"):
                st.caption(text("stopped", lang))
        continue
    with st.chat_message("assistant"):
        if "error" in message:
            st.error(text("answer_failed", lang, error=message["error"]))
        else:
            render_answer(message, assistant.articles, lang)

question = st.chat_input(text("chat_placeholder", lang), key=QUESTION, submit_mode="stop")
if question and question.strip():
    earlier = _turns(history)
    history.append({"role": "user", "content": question})
    _show_user(question)
    with st.chat_message("assistant"):
        answer_id = uuid.uuid4().hex
        placeholder = st.empty()
        placeholder.caption(text("thinking", lang))
        written = ""
        final: Answer | None = None
        try:
            for item in assistant.stream(question, earlier, mode):
                if isinstance(item, Answer):
                    final = item
                    continue
                written += item
                placeholder.markdown(answer_markdown(written))
        except AssistantError as exc:  # the one place the chat maps the pipeline's errors to the page
            placeholder.empty()
            history.append({"role": "assistant", "id": answer_id, "question": question, "error": str(exc)})
            st.error(text("answer_failed", lang, error=str(exc)))
        if final is not None:
            placeholder.markdown(answer_markdown(final.answer))
            status = index_facts(assistant)
            message = {"role": "assistant", "id": answer_id, "question": question, "answer": final.to_json(),
                       "history": [{"role": t.role, "content": t.content} for t in earlier],
                       "model": status.get("model") if final.mode == "llm" else None}
            history.append(message)
            render_answer(message, assistant.articles, lang, show_text=False)
