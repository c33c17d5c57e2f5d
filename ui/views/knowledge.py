"""The knowledge-base page: browse and search the articles in either language, and read one article
(``?article=<id>&lang=<ja|en>``, the target of every citation link in the chat).
"""

from __future__ import annotations

import streamlit as st
from kbui.logic import escape_markdown, safe_markdown, search_articles
from kbui.render import KB_PAGE
from kbui.resources import get_assistant
from kbui.texts import text

from assistant.adapters.articles import Article
from assistant.errors import AssistantError

lang: str = st.session_state.get("lang", "ja")
assistant = get_assistant()
articles = assistant.articles


def _link(article: Article, label: str | None = None) -> None:
    st.page_link(KB_PAGE, label=label or safe_markdown(article.title), icon=":material/article:",
                 query_params={"article": article.id, "lang": article.lang})


def _show(article: Article) -> None:
    st.page_link(KB_PAGE, label=text("kb_back", lang), icon=":material/arrow_back:",
                 query_params={"lang": article.lang})
    st.header(safe_markdown(article.title), anchor=False)
    st.markdown(f":gray-badge[{article.lang}] `{article.id}` · {text('kb_updated', lang, date=article.updated)}")
    other = articles.get((article.id, "en" if article.lang == "ja" else "ja"))
    if other is not None:
        _link(other, text("kb_other_lang", article.lang))
    st.markdown(safe_markdown(article.summary))
    if article.tags:
        st.markdown(f"{text('kb_tags', lang)}: " + " ".join(f":blue-badge[{escape_markdown(t)}]" for t in article.tags))
    if article.errors:
        with st.expander(text("kb_errors", lang)):
            for error in article.errors:
                st.text(error)
    st.divider()
    with st.container(key="article_body"):
        st.markdown(safe_markdown(article.body))
    if article.related:
        st.markdown(f"**{text('kb_related', lang)}**")
        for related in article.related:
            target = articles.get((related, article.lang))
            if target is not None:
                _link(target)
    if article.references:
        st.markdown(f"**{text('kb_references', lang)}**")
        st.markdown("\n".join(f"- <{url}>" for url in article.references if url.startswith("https://")))


selected = st.query_params.get("article")
article_lang = st.query_params.get("lang") or lang
if selected:
    found = articles.get((selected, article_lang))
    if found is None:
        st.warning(text("kb_not_found", lang, id=selected, language=article_lang))
    else:
        _show(found)
    st.stop()

query_column, lang_column = st.columns([3, 1])
with query_column:
    query = st.text_input(text("kb_search", lang), key="kb_query", icon=":material/search:")
with lang_column:
    shown_lang = st.segmented_control(text("kb_language", lang), ("ja", "en"), key="kb_lang",
                                      default=article_lang if article_lang in ("ja", "en") else lang, required=True,
                                      format_func=lambda value: text(f"lang_{value}", lang))
matches = search_articles(articles.values(), query or "", str(shown_lang))
st.caption(text("kb_count", lang, count=len(matches)))
for article in matches:
    with st.container(border=True):
        _link(article)
        st.caption(safe_markdown(article.summary))

if query and query.strip():
    try:
        ready = assistant.retriever.store.current(check=False) is not None
        hits = assistant.retriever.search(query, k=5).hits if ready else ()
    except AssistantError:
        hits = ()
    shown = {a.id for a in matches}
    similar = [articles[(h.id, str(shown_lang))] for h in hits
               if h.id not in shown and (h.id, str(shown_lang)) in articles]
    if similar:
        st.markdown(f"**{text('kb_similar', lang)}**")
        for article in similar:
            with st.container(border=True):
                _link(article)
                st.caption(safe_markdown(article.summary))
