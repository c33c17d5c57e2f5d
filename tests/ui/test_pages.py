"""The pages under Streamlit's AppTest: chat (streamed answer, its grounds, history, new conversation,
feedback), language, status, safety of rendered text, the checker, the knowledge base and the
evaluation runs."""

from __future__ import annotations

import ast
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

UI = Path(__file__).resolve().parents[2] / "ui"

ENGLISH_QUESTION = "How do I register an MFA device? The console says I am not authorized."


def markdown_text(node: Any) -> str:
    """Every Markdown, caption and code text under an AppTest node, joined."""
    parts = [m.value for m in node.markdown] + [c.value for c in node.caption] + [c.value for c in node.code]
    return "\n".join(parts)


def ask(at: Any, question: str) -> Any:
    at.chat_input[0].set_value(question).run()
    assert not at.exception, at.exception
    return at


def test_the_app_opens_on_the_chat_page_with_the_status_area(app, kb_articles):
    at = app.run()
    assert not at.exception
    assert at.title[0].value == "チャット"
    status = markdown_text(at.sidebar)
    ids = len({article.id for article in kb_articles})
    assert "モード: 決定的 (LLM なし)" in status
    assert f"{ids} 記事 ({len(kb_articles)} ファイル)" in status and "42 チャンク" in status
    assert "構築: 2026-11-28 00:00:00" in status and "日 前)" in status and f"ナレッジベース: {ids} 記事、" in status
    assert not [w for w in ("articles", "updated", "ago", " d ", " min ") if w in status]  # nothing English
    assert at.info[0].value.startswith("AccessDenied")  # the introduction of an empty conversation


def test_the_seed_question_gets_both_diagnoses_the_verified_fix_and_the_seed_article(app, seed_text, ui_assistant):
    at = ask(app.run(), seed_text)
    user, reply = at.chat_message
    assert user.text[0].value == seed_text  # the question shown as typed, not as Markdown
    shown = markdown_text(reply)
    assert "エラー 1: `iam:ListVirtualMFADevices`** :red-badge[明示的な拒否]" in shown
    assert "エラー 2: `iam:CreateVirtualMFADevice`** :orange-badge[暗黙的な拒否 \\(許可なし\\)]" in shown
    assert 'Sid "0987654321"' in shown
    assert "**修正案** :green-badge[:material/verified: 検証済みの修正]" in shown
    assert "**貼り付けられたポリシー 3** :red-badge[:material/error: 無効]" in shown and "JSON_ANNOTATION" in shown
    assert "`mfa-device-registration-denied`" in shown
    fixed = json.loads(next(c.value for c in reply.code if c.language == "json" and "ListVirtualMFADevices" in c.value))
    assert fixed["Version"] == "2012-10-17"
    before, after = [c.value for c in reply.code if c.language == "diff"]
    assert len(before.splitlines()) == len(after.splitlines()) and "+ " in after
    link = reply.get("page_link")[0].proto
    assert (link.page, link.query_string) == ("knowledge-base", "article=mfa-device-registration-denied&lang=ja")
    (message,) = [m for m in at.session_state["history"] if m["role"] == "assistant"]
    answer = message["answer"]
    assert [d["action"] for d in answer["diagnoses"]] == ["iam:ListVirtualMFADevices", "iam:CreateVirtualMFADevice"]
    assert any(p["source"] == "suggested" and p["verified"] for p in answer["policies"])
    assert answer["citations"][0]["id"] == "mfa-device-registration-denied"
    footer = next(c.value for c in reply.caption if "処理時間" in c.value)
    assert footer.startswith("決定的モードの回答 · 処理時間 (ms): 解析 ") and "検索 " in footer
    assert not [w for w in ("analysis", "retrieval", "generation", "guard") if w in footer]


def test_history_survives_reruns_feeds_follow_ups_and_new_conversation_clears_it(app, seed_text, ui_assistant):
    at = ask(app.run(), seed_text)
    at.run()
    assert len(at.chat_message) == 2 and len(at.session_state["history"]) == 2
    ask(at, "それでもダメでした")
    assert len(at.chat_message) == 4
    follow_up = at.session_state["history"][-1]
    assert follow_up["history"][0] == {"role": "user", "content": seed_text}
    assert len(follow_up["answer"]["diagnoses"]) == 2  # the errors were taken from the earlier turn
    at.button(key="new_conversation").click().run()
    assert at.session_state["history"] == [] and len(at.chat_message) == 0


def test_thumbs_down_with_a_comment_is_stored_with_the_question_answer_citations_and_mode(app, seed_text, tmp_path):
    at = ask(app.run(), seed_text)
    at.feedback[0].set_value(0).run()
    assert "フィードバックを保存しました。ありがとうございます。" in markdown_text(at)
    at.text_input[0].input("the fix is too broad").run()
    database = tmp_path / "data" / "feedback.sqlite3"  # KB_ASSISTANT_DATA_DIR of the autouse fixture
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT rating, comment, question, answer, citations, mode FROM feedback").fetchall()
    db.close()
    ((rating, comment, question, answer, citations, mode),) = rows
    assert (rating, comment, question, mode) == ("down", "the fix is too broad", seed_text, "deterministic")
    (shown,) = [m["answer"] for m in at.session_state["history"] if m["role"] == "assistant"]
    assert answer == shown["answer"] and json.loads(citations)[0]["id"] == "mfa-device-registration-denied"
    at.feedback[0].set_value(None).run()  # taking the rating back removes the row
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT count(*) FROM feedback").fetchone() == (0,)
    db.close()


def test_the_ui_speaks_the_questions_language_unless_the_user_picks_one(app):
    at = ask(app.run(), ENGLISH_QUESTION)
    assert at.title[0].value == "Chat" and at.session_state["lang"] == "en"
    assert "Mode: deterministic (no LLM)" in markdown_text(at.sidebar)
    at.radio(key="ui_lang_choice").set_value("ja").run()
    assert at.title[0].value == "チャット" and "Was this answer helpful?" not in markdown_text(at)
    assert "この回答は役に立ちましたか?" in markdown_text(at)


def test_user_and_model_text_is_never_rendered_as_html(app):
    hostile = "<img src=x onerror=alert(1)> [click](javascript:alert(1)) **bold** $x$"
    at = ask(app.run(), hostile)
    assert at.chat_message[0].text[0].value == hostile
    assert not any(m.proto.allow_html for m in at.markdown)
    assert not at.get("html")


def test_cache_resource_holds_only_the_settings_and_the_assistant():
    cached = []
    for path in UI.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and any("cache_resource" in ast.unparse(d)
                                                         for d in node.decorator_list):
                cached.append((path.name, node.name, ast.unparse(node.returns) if node.returns else None))
    assert sorted(cached) == [("resources.py", "get_assistant", "Assistant"), ("resources.py", "settings", "Settings")]
    assert "unsafe_allow_html" not in "".join(p.read_text(encoding="utf-8") for p in UI.rglob("*.py"))


def test_two_sessions_do_not_share_a_conversation(app, ui_assistant, monkeypatch):
    from streamlit.testing.v1 import AppTest

    first = ask(app.run(), ENGLISH_QUESTION)
    second = AppTest.from_file(str(UI / "app.py"), default_timeout=120).run()
    assert len(first.chat_message) == 2
    assert second.session_state["history"] == [] and len(second.chat_message) == 0


def test_an_error_of_the_pipeline_is_shown_in_the_page(app):
    at = ask(app.run(), "x" * 100_001)
    assert "the limit is 100000" in at.error[0].value
    assert at.session_state["history"][-1]["error"]


def open_checker(app: Any) -> Any:
    at = app.run()
    at.switch_page("views/checker.py").run()
    assert not at.exception and at.title[0].value == "ポリシーチェッカー"
    return at


def test_the_checker_shows_the_finding_of_an_invalid_policy(app):
    at = open_checker(app)
    at.text_area(key="checker_policy").input(
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListVirtualMFADevice", '
        '"Resource": "*"}]}')
    at.button(key="checker_submit").click().run()
    shown = markdown_text(at)
    assert at.error[0].value == "ポリシーにエラーがあります"
    assert "`UNKNOWN_ACTION`" in shown and "iam:ListVirtualMFADevices" in shown
    assert "シミュレーション" not in shown


def test_the_checker_simulates_pasted_errors_and_shows_the_verified_fix(app, seed_text):
    at = open_checker(app)
    lines = seed_text.splitlines()
    at.text_area(key="checker_policy").input(lines[7])
    at.text_area(key="checker_errors").input("\n".join(line for line in lines if "not authorized" in line))
    at.button(key="checker_submit").click().run()
    shown = markdown_text(at)
    assert at.success[0].value == "ポリシーは有効です"
    assert ":red-badge[明示的な拒否]" in shown and ":orange-badge[暗黙的な拒否 \\(許可なし\\)]" in shown
    assert "**修正後のポリシー (チェッカーで検証済み)**" in shown
    assert len([c for c in at.code if c.language == "diff"]) == 2


def test_the_checker_takes_a_request_instead_of_an_error_message(app):
    at = open_checker(app)
    at.text_area(key="checker_policy").input(
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", '
        '"Resource": "arn:aws:s3:::bucket/*"}]}')
    at.text_input(key="checker_principal").input("arn:aws:iam::123456789012:user/alice")
    at.text_input(key="checker_action").input("s3:PutObject")
    at.text_input(key="checker_resource").input("arn:aws:s3:::bucket/key")
    at.selectbox(key="checker_mfa").set_value("absent")
    at.button(key="checker_submit").click().run()
    shown = markdown_text(at)
    assert "`s3:PutObject`" in shown and ":orange-badge[暗黙的な拒否 \\(許可なし\\)]" in shown
    assert "**修正後のポリシー (チェッカーで検証済み)**" in shown


def test_the_knowledge_base_lists_searches_and_opens_articles_in_either_language(app, kb_articles):
    kb_en = [a for a in kb_articles if a.lang == "en"]
    at = app.run()
    at.switch_page("views/knowledge.py").run()
    assert not at.exception
    everything = len(at.get("page_link"))
    at.text_input(key="kb_query").input("ListVirtualMFADevices").run()
    labels = [link.proto.label for link in at.get("page_link")]
    assert 0 < len(labels) < everything
    at.button_group(key="kb_lang").set_value("en").run()
    assert all(label in {a.title for a in kb_en} for label in [link.proto.label for link in at.get("page_link")])
    at.query_params["article"] = "mfa-device-registration-denied"
    at.query_params["lang"] = "en"
    at.run()
    assert not at.exception
    assert at.header[0].value == "A new IAM user can't register a virtual MFA device"
    assert "## Resolution" in markdown_text(at)


def test_an_unknown_article_is_a_warning(app):
    at = app.run()
    at.switch_page("views/knowledge.py")
    at.query_params["article"] = "no-such-article"
    at.run()
    assert "no-such-article" in at.warning[0].value


def write_run(root: Path, name: str, hit_at_1: float, passed: bool) -> None:
    run = root / name
    run.mkdir(parents=True)
    (run / "config.json").write_text(json.dumps({"started_at": name, "mode": "deterministic", "dataset": "d",
                                                 "questions": 1, "dataset_sha256": "x"}))
    (run / "summary.json").write_text(json.dumps({"metrics": {"retrieval.hit_at_1": hit_at_1}, "passed": int(passed),
                                                  "run": {"dataset_sha256": "x"}}))
    (run / "results.jsonl").write_text(json.dumps({"id": "q1", "lang": "ja", "checks": {"retrieval": passed}}) + "\n")


def test_the_evaluation_page_shows_a_run_and_compares_two(app, tmp_path, monkeypatch):
    import assistant.evaluation.session

    write_run(tmp_path / "runs", "2026-01-01", 1.0, True)
    write_run(tmp_path / "runs", "2026-01-02", 0.5, False)
    monkeypatch.setattr(assistant.evaluation.session, "RUNS_DIR", tmp_path / "runs")
    monkeypatch.setattr(assistant.evaluation.session, "BASELINE_DIR", tmp_path / "baseline")
    monkeypatch.setattr(assistant.evaluation.session, "default_thresholds", lambda: None)
    at = app.run()
    at.switch_page("views/evaluation.py").run()
    assert not at.exception, at.exception
    assert at.selectbox(key="eval_run").value == "2026-01-02"
    at.selectbox(key="eval_other").set_value("2026-01-01").run()
    assert not at.exception, at.exception
    assert len(at.dataframe) == 3  # failures per check, metrics, the comparison
    assert any("1 regressed" in e.label for e in at.expander)


@pytest.mark.parametrize("page", ["views/chat.py", "views/checker.py", "views/knowledge.py", "views/evaluation.py"])
def test_every_page_opens_in_english(app, page):
    at = app.run()
    at.radio(key="ui_lang_choice").set_value("en").run()
    at.switch_page(page).run()
    assert not at.exception, at.exception


def test_the_status_says_when_the_index_is_not_built_yet(app, ui_assistant, monkeypatch):
    monkeypatch.setattr(type(ui_assistant.retriever.store), "current", lambda self, check=True: None)
    at = app.run()
    assert "インデックスは未構築です" in markdown_text(at.sidebar)
    assert at.button(key="build_index").label == "インデックスを構築"
