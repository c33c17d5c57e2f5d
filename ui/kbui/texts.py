"""The UI's words in Japanese and English, in one table so that both languages stay complete.

``text(key, lang, **values)`` formats one entry; a test checks every key has both languages.
"""

from __future__ import annotations

__all__ = ["LANGS", "TEXTS", "text"]

LANGS = ("ja", "en")

TEXTS: dict[str, dict[str, str]] = {
    # frame
    "app_title": {"ja": "AWS アクセス問題サポート", "en": "AWS access support"},
    "page_chat": {"ja": "チャット", "en": "Chat"},
    "page_checker": {"ja": "ポリシーチェッカー", "en": "Policy checker"},
    "page_kb": {"ja": "ナレッジベース", "en": "Knowledge base"},
    "page_eval": {"ja": "評価の実行結果", "en": "Evaluation runs"},
    "ui_language": {"ja": "表示言語", "en": "Language"},
    "lang_auto": {"ja": "自動 (質問の言語)", "en": "Auto (the question's language)"},
    "lang_ja": {"ja": "日本語", "en": "日本語"},
    "lang_en": {"ja": "English", "en": "English"},
    "answer_mode": {"ja": "回答モード", "en": "Answer mode"},
    "mode_auto": {"ja": "自動", "en": "Auto"},
    "mode_deterministic": {"ja": "決定的", "en": "Deterministic"},
    "mode_llm": {"ja": "LLM", "en": "LLM"},
    "loading": {"ja": "準備しています…", "en": "Starting up…"},
    "new_conversation": {"ja": "新しい会話", "en": "New conversation"},
    # status
    "status": {"ja": "状態", "en": "Status"},
    "status_mode_deterministic": {"ja": "モード: 決定的 (LLM なし)", "en": "Mode: deterministic (no LLM)"},
    "status_mode_llm": {"ja": "モード: LLM ({model})", "en": "Mode: LLM ({model})"},
    "status_index": {"ja": "インデックス: {articles} 記事 ({files} ファイル)",
                     "en": "Index: {articles} articles ({files} files)"},
    "status_chunks": {"ja": "{chunks} チャンク, {model}", "en": "{chunks} chunks, {model}"},
    "status_built": {"ja": "構築: {published} ({age} 前)", "en": "Built: {published} ({age} ago)"},
    "status_not_built": {"ja": "インデックスは未構築です。最初の質問で、同梱のベクトルから数秒で構築されます。",
                         "en": "The index is not built yet; the first question builds it from the shipped vectors "
                               "in seconds."},
    "status_stale": {"ja": "構築後に更新された記事があります: kb-assistant ingest で更新してください",
                     "en": "Articles changed since the index was built: run kb-assistant ingest"},
    "status_kb": {"ja": "ナレッジベース: {articles} 記事、{updated} 更新",
                  "en": "Knowledge base: {articles} articles, updated {updated}"},
    "build_index": {"ja": "インデックスを構築", "en": "Build the index"},
    "building_index": {"ja": "インデックスを構築しています…", "en": "Building the index…"},
    # chat
    "chat_placeholder": {"ja": "質問を入力するか、エラーメッセージとポリシーを貼り付けてください",
                         "en": "Ask a question, or paste the error message and your policy"},
    "chat_intro": {"ja": "AccessDenied や「is not authorized to perform」のエラー、IAM ユーザーにアタッチしている"
                         "ポリシーを貼り付けるか、困っていることを書いてください。ポリシーチェッカーでエラーを再現し、"
                         "検証済みの修正案とナレッジベースの記事で回答します。",
                   "en": "Paste the AccessDenied / \"is not authorized to perform\" message and the policy attached "
                         "to your IAM user, or describe the problem. The policy checker reproduces the error; the "
                         "answer comes with a verified fix and the knowledge-base articles it rests on."},
    "thinking": {"ja": "エラーとポリシーを確認しています…", "en": "Checking the errors and policies…"},
    "stopped": {"ja": "(回答は中断されました)", "en": "(the answer was stopped)"},
    "answer_failed": {"ja": "回答できませんでした: {error}", "en": "Could not answer: {error}"},
    "notice": {"ja": "お知らせ", "en": "Notice"},
    "timings": {"ja": "処理時間 (ms): {timings}", "en": "Timings (ms): {timings}"},
    "stage_analysis": {"ja": "解析", "en": "analysis"},
    "stage_retrieval": {"ja": "検索", "en": "retrieval"},
    "stage_generation": {"ja": "回答作成", "en": "generation"},
    "stage_guard": {"ja": "検査", "en": "guard"},
    "mode_used_deterministic": {"ja": "決定的モードの回答", "en": "Deterministic answer"},
    "mode_used_llm": {"ja": "LLM による回答", "en": "LLM answer"},
    # citations
    "citations": {"ja": "参考記事", "en": "Sources"},
    "excerpt": {"ja": "抜粋", "en": "Excerpt"},
    "open_article": {"ja": "アプリ内で記事を開く", "en": "Open the article in the app"},
    "article_missing": {"ja": "(この記事は現在のナレッジベースにありません)",
                        "en": "(this article is not in the current knowledge base)"},
    # diagnoses
    "diagnoses": {"ja": "診断", "en": "Diagnosis"},
    "diagnosis_title": {"ja": "エラー {number}: {action}", "en": "Error {number}: {action}"},
    "decision_ExplicitlyDenied": {"ja": "明示的な拒否", "en": "Explicitly denied"},
    "decision_ImplicitlyDenied": {"ja": "暗黙的な拒否 (許可なし)", "en": "Implicitly denied (no allow)"},
    "decision_Allowed": {"ja": "許可", "en": "Allowed"},
    "decision_unknown": {"ja": "判定なし (ポリシーなし)", "en": "Not evaluated (no policy)"},
    "resource": {"ja": "リソース", "en": "Resource"},
    "statement": {"ja": "決め手のステートメント", "en": "Deciding statement"},
    "statement_value": {"ja": "{policy_type} ポリシーのステートメント {index} (Sid \"{sid}\")",
                        "en": "{policy_type} policy, statement {index} (Sid \"{sid}\")"},
    "statement_value_nosid": {"ja": "{policy_type} ポリシーのステートメント {index}",
                              "en": "{policy_type} policy, statement {index}"},
    "no_statement": {"ja": "該当するステートメントなし ({policy_type} ポリシーに許可がない)",
                     "en": "No statement ({policy_type} policies allow nothing here)"},
    "why": {"ja": "理由", "en": "Why"},
    "reproduced": {"ja": "貼り付けられたポリシーでエラーを再現しました", "en": "Reproduced with the pasted policy"},
    "not_reproduced": {"ja": "貼り付けられたポリシーではこのエラーを再現できませんでした",
                       "en": "The pasted policy does not reproduce this error"},
    "not_evaluated": {"ja": "ポリシーが貼り付けられていないため評価していません",
                      "en": "Not evaluated: no policy was pasted"},
    "message": {"ja": "エラーメッセージ", "en": "Error message"},
    # policies
    "policies": {"ja": "ポリシー", "en": "Policies"},
    "source_question": {"ja": "貼り付けられたポリシー {number}", "en": "Your policy {number}"},
    "source_answer": {"ja": "回答中のポリシー {number}", "en": "Policy in the answer {number}"},
    "source_suggested": {"ja": "修正案", "en": "Suggested fix"},
    "badge_verified": {"ja": "検証済みの修正", "en": "Verified fix"},
    "badge_valid": {"ja": "有効", "en": "Valid"},
    "badge_invalid": {"ja": "無効", "en": "Invalid"},
    "findings": {"ja": "指摘", "en": "Findings"},
    "no_findings": {"ja": "指摘はありません", "en": "No findings"},
    "show_json": {"ja": "JSON を表示", "en": "Show the JSON"},
    "unreadable_json": {"ja": "JSON として読めません。修復した候補:", "en": "Not readable JSON. Repaired candidate:"},
    "resolves": {"ja": "解消するエラー", "en": "Resolves"},
    "fix_title": {"ja": "修正後のポリシー (チェッカーで検証済み)", "en": "Corrected policy (verified by the checker)"},
    "fix_copy": {"ja": "右上のボタンでコピーできます", "en": "Copy it with the button at its top right"},
    "diff_title": {"ja": "差分: 元のポリシー ↔ 修正後", "en": "Diff: your policy ↔ the fix"},
    "diff_before": {"ja": "元のポリシー", "en": "Your policy"},
    "diff_after": {"ja": "修正後", "en": "Fixed"},
    "changes": {"ja": "変更点", "en": "Changes"},
    "newly_granted": {"ja": "この修正で新たに許可される操作", "en": "Newly granted by the fix"},
    "no_fix": {"ja": "検証済みの修正案は作れませんでした", "en": "No verified fix could be made"},
    # feedback
    "feedback_ask": {"ja": "この回答は役に立ちましたか?", "en": "Was this answer helpful?"},
    "feedback_comment": {"ja": "コメント (任意、Enter で送信)", "en": "Comment (optional, Enter to send)"},
    "feedback_saved": {"ja": "フィードバックを保存しました。ありがとうございます。",
                       "en": "Feedback saved. Thank you."},
    "feedback_failed": {"ja": "フィードバックを保存できませんでした: {error}",
                        "en": "Could not save the feedback: {error}"},
    # checker page
    "checker_intro": {"ja": "ポリシーを貼り付けると、検証結果を表示します。エラーメッセージ (またはリクエスト) も"
                            "貼り付けると、そのリクエストを再現して検証済みの修正案を作ります。",
                      "en": "Paste a policy to validate it. Add the error messages (or a request) to reproduce them "
                            "and get a verified fix."},
    "policy_text": {"ja": "ポリシー (JSON、テキストや Markdown の中でも可)",
                    "en": "Policy (JSON, or text / Markdown that contains it)"},
    "policy_type": {"ja": "ポリシーの種類", "en": "Policy type"},
    "errors_text": {"ja": "エラーメッセージ (任意、複数可)", "en": "Error messages (optional, several allowed)"},
    "request": {"ja": "またはリクエストを指定", "en": "Or give a request"},
    "principal": {"ja": "プリンシパル ARN", "en": "Principal ARN"},
    "action": {"ja": "アクション", "en": "Action"},
    "mfa_context": {"ja": "サインインの状態 (aws:MultiFactorAuthPresent)",
                    "en": "Sign-in (aws:MultiFactorAuthPresent)"},
    "mfa_false": {"ja": "MFA なしでコンソールにサインイン (false)", "en": "Console without MFA (false)"},
    "mfa_true": {"ja": "MFA でサインイン (true)", "en": "Signed in with MFA (true)"},
    "mfa_absent": {"ja": "アクセスキー / CLI (キーなし)", "en": "Access keys / CLI (key absent)"},
    "check": {"ja": "チェック", "en": "Check"},
    "check_result": {"ja": "検証結果", "en": "Validation"},
    "valid_policy": {"ja": "ポリシーは有効です", "en": "The policy is valid"},
    "invalid_policy": {"ja": "ポリシーにエラーがあります", "en": "The policy has errors"},
    "simulation": {"ja": "シミュレーション", "en": "Simulation"},
    "no_denials": {"ja": "エラーメッセージが見つかりませんでした", "en": "No access-denied message was found"},
    "no_usable_policy": {"ja": "評価できるポリシーがありません", "en": "There is no policy that can be evaluated"},
    "fix": {"ja": "修正案", "en": "Fix"},
    "nothing_to_fix": {"ja": "拒否されたリクエストはありません", "en": "No request is denied"},
    "repaired_note": {"ja": "壊れた JSON を修復した候補で評価しました", "en": "Evaluated the repaired candidate of the "
                      "broken JSON"},
    "need_policy": {"ja": "ポリシーを貼り付けてください", "en": "Paste a policy first"},
    "bad_request": {"ja": "リクエストにはプリンシパル ARN とアクションが必要です",
                    "en": "A request needs a principal ARN and an action"},
    # knowledge base page
    "kb_search": {"ja": "検索 (タイトル、本文、エラーメッセージ、タグ)",
                  "en": "Search (title, text, error messages, tags)"},
    "kb_language": {"ja": "記事の言語", "en": "Article language"},
    "kb_count": {"ja": "{count} 件の記事", "en": "{count} articles"},
    "kb_similar": {"ja": "検索インデックスで近い記事", "en": "Close matches from the search index"},
    "kb_back": {"ja": "記事一覧に戻る", "en": "Back to the list"},
    "kb_other_lang": {"ja": "English version", "en": "日本語版"},
    "kb_not_found": {"ja": "記事 '{id}' ({language}) は見つかりません", "en": "No article '{id}' ({language})"},
    "kb_tags": {"ja": "タグ", "en": "Tags"},
    "kb_errors": {"ja": "解決するエラー", "en": "Errors it resolves"},
    "kb_related": {"ja": "関連記事", "en": "Related articles"},
    "kb_references": {"ja": "参照した AWS ドキュメント", "en": "AWS documentation"},
    "kb_updated": {"ja": "更新日: {date}", "en": "Updated: {date}"},
    # evaluation page
    "eval_none": {"ja": "評価の実行結果はまだありません (kb-assistant eval で作成)",
                  "en": "No evaluation runs yet (create one with kb-assistant eval)"},
    "eval_run": {"ja": "実行結果", "en": "Run"},
    "eval_compare": {"ja": "比較する実行結果", "en": "Compare with"},
    "eval_unavailable": {"ja": "評価モジュールがありません", "en": "The evaluation module is not available"},
}


def text(key: str, lang: str, **values: object) -> str:
    """The UI text ``key`` in ``lang`` (English for an unknown language), formatted with ``values``."""
    entry = TEXTS[key]
    template = entry.get(lang) or entry["en"]
    return template.format(**values) if values else template
