"""Chunking: sections, fences never cut, metadata."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from retrieval_support import ARTICLES, dedent, write_kb

from assistant.adapters.articles import load_articles, parse_article
from assistant.retrieval.chunking import ANSWERS_SECTION, Chunk, chunk_article, split_units

_FENCE = re.compile(r"^```", re.M)


def _article(body: str, front: str = "") -> str:
    return dedent("""
        ---
        id: sample
        lang: en
        title: Sample
        summary: A sample.
        tags: [x]
        errors: ["AccessDenied"]
        """) + front + "---\n" + body


def test_every_chunk_carries_its_metadata(tmp_path: Path) -> None:
    articles = load_articles(write_kb(tmp_path / "kb"))
    assert len(articles) == len(ARTICLES)
    for article in articles:
        chunks = chunk_article(article)
        assert [c.position for c in chunks] == list(range(len(chunks)))
        headings = {s.heading for s in article.sections}
        for chunk in chunks:
            assert (chunk.article_id, chunk.lang, chunk.title) == (article.id, article.lang, article.title)
            assert chunk.section in headings
            assert chunk.id == f"{article.lang}/{article.id}#{chunk.position}"
            assert chunk.text.startswith(article.title)
            assert chunk.dense and len(chunk.dense) <= 900
        # the summary chunk comes first and carries the verbatim errors
        assert article.summary in chunks[0].text
        assert all(error in chunks[0].text for error in article.errors)


def test_answer_and_faq_make_the_last_chunk_embedded_as_the_summary() -> None:
    front = dedent("""
        answer: Grant iam:ListVirtualMFADevices on the mfa path.
        faq:
          - q: Why can I not see my authenticator in the console?
            a: The console lists devices before it adds one.
          - q: Does the device name matter?
            a: Names are unique per account.
        """)
    chunks = chunk_article(parse_article(_article("## Problem\n\nDenied.\n", front), Path("kb/en/sample.md")))
    wordings = ["Grant iam:ListVirtualMFADevices", "Why can I not see my authenticator", "lists devices before",
                "Does the device name matter?", "unique per account"]
    faq = chunks[-1]
    assert (faq.section, faq.position) == (ANSWERS_SECTION, len(chunks) - 1)
    assert faq.text.startswith("Sample") and all(w in faq.text for w in wordings)
    assert not any(w in c.text for c in chunks[:-1] for w in wordings)
    assert faq.dense == chunks[0].dense  # one vector for both: the FAQ costs the model nothing


def test_an_article_without_answer_or_faq_has_no_faq_chunk() -> None:
    chunks = chunk_article(parse_article(_article("## Problem\n\nDenied.\n"), Path("kb/en/sample.md")))
    assert [c.section for c in chunks] == ["Problem", "Problem"]


def test_sections_split_and_a_long_fence_stays_whole() -> None:
    policy = "\n".join(["{", *[f'  "k{i}": "{"v" * 40}",' for i in range(40)], '  "end": 1', "}"])
    body = (f"## Problem\n\n{'Words. ' * 30}\n\n## Resolution\n\nIntro.\n\n```json name=after\n{policy}\n```"
            f"\n\nAfter the block.\n")
    article = parse_article(_article(body), Path("kb/en/sample.md"))
    chunks = chunk_article(article, max_chars=200)
    assert {c.section for c in chunks} == {"Problem", "Resolution"}
    holding = [c for c in chunks if '"k0"' in c.text]
    assert len(holding) == 1 and policy in holding[0].text  # the whole block, in one chunk
    for chunk in chunks:
        assert len(_FENCE.findall(chunk.text)) % 2 == 0


def test_split_units_keeps_blank_lines_inside_fences() -> None:
    text = "para one\n\n```json\n{\n\n  \"a\": 1\n}\n```\n\npara two"
    assert split_units(text) == ["para one", "```json\n{\n\n  \"a\": 1\n}\n```", "para two"]


def test_json_is_compacted_in_the_embedded_view() -> None:
    body = ("## Resolution\n\n```json name=after\n"
            '{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "iam:PassRole", '
            '"Resource": "*", "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}]}\n```\n')
    article = parse_article(_article(body), Path("kb/en/sample.md"))
    dense = chunk_article(article)[-1].dense
    for word in ("Effect:Deny", "iam:PassRole", "BoolIfExists", "aws:MultiFactorAuthPresent"):
        assert word in dense
    assert "2012-10-17" not in dense


_words = st.text(alphabet=st.sampled_from("abc xyz。あい\t"), min_size=1, max_size=60)
_block = st.lists(st.text(alphabet=st.sampled_from('{}[]":, ab\n'), max_size=80), min_size=1, max_size=5)


@settings(max_examples=60, deadline=None)
@given(parts=st.lists(st.one_of(_words.map(lambda w: ("p", w)), _block.map(lambda b: ("f", b))),
                      min_size=1, max_size=12),
       max_chars=st.integers(min_value=20, max_value=400))
def test_a_fence_is_never_cut(parts: list[tuple[str, object]], max_chars: int) -> None:
    blocks: list[str] = []
    pieces: list[str] = []
    for number, (kind, value) in enumerate(parts):
        if kind == "p":
            pieces.append(str(value).strip() or "word")
        else:
            inner = "\n".join(str(line).replace("`", "") for line in value)  # type: ignore[attr-defined]
            block = f"```json name=b{number}\n{inner}\n```"
            blocks.append(block)
            pieces.append(block)
    body = "## Problem\n\n" + "\n\n".join(pieces) + "\n"
    article = parse_article(_article(body), Path("kb/en/sample.md"))
    chunks: list[Chunk] = chunk_article(article, max_chars=max_chars)
    for block in blocks:
        assert sum(block in c.text for c in chunks) == 1
    for chunk in chunks:
        assert len(_FENCE.findall(chunk.text)) % 2 == 0
