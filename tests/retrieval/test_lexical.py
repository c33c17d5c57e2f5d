"""Lexical side: tokens for mixed Japanese / English text, BM25, language detection."""

from __future__ import annotations

from assistant.retrieval.lexical import BM25, Tokenizer, detect_language


def test_identifiers_inside_japanese_sentences(tokenizer: Tokenizer) -> None:
    terms = tokenizer.terms("仮想MFAデバイスの登録でiam:ListVirtualMFADevicesが拒否され、"
                            "PassRoleとBoolIfExistsも確認した")
    for term in ("iam:listvirtualmfadevices", "listvirtualmfadevices", "passrole", "boolifexists",
                 "仮想", "デバイス", "登録", "拒否"):
        assert term in terms
    assert "が" not in terms and "の" not in terms  # particles are grammar, not content


def test_english_words_are_lowercased_and_lightly_stemmed(tokenizer: Tokenizer) -> None:
    assert tokenizer.terms("The Policies deny Devices") == ["policy", "deny", "device"]


def test_split_mode_is_a_constructor_choice() -> None:
    assert "多要素認証" in Tokenizer("C").terms("多要素認証を有効にする")
    assert "多要素認証" not in Tokenizer("B").terms("多要素認証を有効にする")


def test_bm25_prefers_the_rare_identifier(tokenizer: Tokenizer) -> None:
    docs = [tokenizer.terms(t) for t in (
        "MFA デバイスを登録する手順", "iam:ListVirtualMFADevices が拒否される", "S3 バケットポリシーの書き方")]
    index = BM25(docs)
    top = index.top(tokenizer.terms("ListVirtualMFADevices でエラー"), 3)
    assert top[0][0] == 1
    assert index.top([], 3) == [] and index.top(["unknown"], 3) == []


def test_detect_language() -> None:
    assert detect_language("MFA を有効にしたい") == "ja"
    assert detect_language("User: arn:aws:iam::1:user/a is not authorized") == "en"
    assert detect_language("ｱｸｾｽ") == "ja"


def test_long_input_is_tokenized(tokenizer: Tokenizer) -> None:
    assert len(tokenizer.terms("権限" * 30000)) > 1000
