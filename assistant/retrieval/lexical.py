"""The lexical side of retrieval: BM25 over Japanese morphemes and English words / identifiers.

Customers paste English identifiers and error messages into Japanese sentences, so ASCII runs are
read first as identifiers (``iam:ListVirtualMFADevices`` gives the whole name, its parts and its
camel-case words) and the rest goes through SudachiPy (normalized forms of content words). The
tokenizer loads the Sudachi dictionary in its constructor, never at import.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["BM25", "Tokenizer", "detect_language"]

_ASCII_WORD = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_:\-./*$@{}]*")
_SEPARATORS = re.compile(r"[:_\-./*$@{}]+")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]")
_KEEP_POS = frozenset({"名詞", "動詞", "形容詞", "形状詞", "副詞", "接頭辞", "接尾辞"})
_LIGHT_VERBS = frozenset({"為る", "居る", "有る", "成る", "出来る", "行う", "言う", "思う", "見る", "来る",
                          "下さる", "御座る", "致す", "頂く", "仕舞う", "事", "物", "為", "様", "所"})
_EN_STOP = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "been", "but", "by", "can", "could", "did", "do",
    "does", "doing", "for", "from", "had", "has", "have", "how", "i", "if", "in", "into", "is", "it",
    "its", "me", "my", "no", "not", "of", "on", "or", "our", "so", "than", "that", "the", "their",
    "them", "then", "there", "these", "they", "this", "to", "up", "was", "we", "were", "what", "when",
    "where", "which", "who", "why", "will", "with", "would", "you", "your",
))
_MAX_PIECE = 8000  # Sudachi refuses very long inputs; queries with pasted logs can be long


def detect_language(text: str) -> str:
    """``ja`` when the text has any kana or kanji, else ``en``."""
    return "ja" if _JAPANESE.search(text) else "en"


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _identifier_terms(raw: str) -> list[str]:
    word = raw.strip(":-./*$@{}")
    if not word or word.isdigit():
        return []
    terms: list[str] = []
    parts = [p for p in _SEPARATORS.split(word) if p]
    if len(parts) > 1:
        terms.append(word.lower())
    for part in parts:
        if part.isdigit():
            continue
        lower = part.lower()
        camel = [c.lower() for c in _CAMEL.findall(part)]
        if len(camel) > 1:
            terms.append(lower)
            terms.extend(_stem(c) for c in camel if c not in _EN_STOP and not c.isdigit())
        elif lower not in _EN_STOP and (len(lower) > 1 or len(parts) > 1):
            terms.append(_stem(lower))
    return terms


class Tokenizer:
    """Terms for BM25; Sudachi split mode ``C`` (long units) or ``B`` (middle units)."""

    def __init__(self, mode: str = "B", dictionary: Any | None = None) -> None:
        from sudachipy import Dictionary  # deferred: the dictionary is loaded here, not at import

        self.mode = mode
        self._dictionary = dictionary or Dictionary(dict="core")
        self._local = threading.local()  # a Sudachi tokenizer refuses concurrent use: one per thread
        self._local.sudachi = self._dictionary.tokenizer(mode)

    @property
    def signature(self) -> str:
        """What changes the terms of a text (part of an article's content hash)."""
        return f"sudachi-core-{self.mode}-1"

    def terms(self, text: str) -> list[str]:
        """The BM25 terms of ``text``, in order, repeats kept."""
        terms: list[str] = []
        for match in _ASCII_WORD.finditer(text):
            terms.extend(_identifier_terms(match.group()))
        rest = _ASCII_WORD.sub(" ", text)
        if _JAPANESE.search(rest):
            for line in rest.split("\n"):
                for start in range(0, len(line), _MAX_PIECE):
                    terms.extend(self._japanese(line[start : start + _MAX_PIECE]))
        return terms

    def _japanese(self, piece: str) -> Iterable[str]:
        if not _JAPANESE.search(piece):
            return
        sudachi = getattr(self._local, "sudachi", None)
        if sudachi is None:
            sudachi = self._local.sudachi = self._dictionary.tokenizer(self.mode)
        for morpheme in sudachi.tokenize(piece):
            pos = morpheme.part_of_speech()[0]
            if pos not in _KEEP_POS:
                continue
            form = morpheme.normalized_form()
            if form in _LIGHT_VERBS or not _JAPANESE.search(form):
                continue
            if len(form) == 1 and "\u3040" <= form <= "\u309f":
                continue  # a lone hiragana is grammar, not content
            yield form


class BM25:
    """Okapi BM25 over pre-tokenized documents: an inverted index of precomputed term weights (numpy)."""

    def __init__(self, documents: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75) -> None:
        import numpy as np

        self.k1, self.b = k1, b
        self.size = len(documents)
        lengths = [len(d) for d in documents]
        average = (sum(lengths) / self.size) if self.size else 0.0
        postings: dict[str, tuple[list[int], list[float]]] = {}
        for index, document in enumerate(documents):
            norm = k1 * (1 - b + b * lengths[index] / (average or 1.0))
            for term, count in Counter(document).items():
                docs, weights = postings.setdefault(term, ([], []))
                docs.append(index)
                weights.append(count * (k1 + 1) / (count + norm))
        self._idf = {t: math.log(1 + (self.size - len(d) + 0.5) / (len(d) + 0.5)) for t, (d, _) in postings.items()}
        # each posting's weight already includes the term's IDF: a query is a few vector additions
        self._postings = {t: (np.asarray(d, dtype=np.int32), np.asarray(w, dtype=np.float32) * self._idf[t])
                          for t, (d, w) in postings.items()}

    def idf(self, term: str) -> float:
        """Inverse document frequency of ``term`` (0 for an unknown term)."""
        return self._idf.get(term, 0.0)

    def knows(self, term: str) -> bool:
        """Whether any document has ``term``."""
        return term in self._idf

    @property
    def unseen_idf(self) -> float:
        """The IDF a term would have if one document had it (the weight given to unknown words)."""
        return math.log(1 + (self.size - 1 + 0.5) / 1.5)

    def _vector(self, query: Iterable[str]) -> Any:
        import numpy as np

        scores = np.zeros(self.size, dtype=np.float32)
        for term in set(query):  # each query term counts once: pasted logs repeat words
            posting = self._postings.get(term)
            if posting is not None:
                scores[posting[0]] += posting[1]
        return scores

    def scores(self, query: Iterable[str]) -> dict[int, float]:
        """BM25 score of every document sharing a term with the query."""
        import numpy as np

        vector = self._vector(query)
        hit = np.flatnonzero(vector)
        return {int(i): float(vector[i]) for i in hit}

    def top(self, query: Iterable[str], n: int) -> list[tuple[int, float]]:
        """The ``n`` best documents as ``(index, score)``, best first (ties: lower index first)."""
        import numpy as np

        if self.size == 0 or n <= 0:
            return []
        vector = self._vector(query)
        hit = np.flatnonzero(vector)
        if len(hit) > n:
            hit = hit[np.argpartition(-vector[hit], n - 1)[:n]]
        ranked = sorted(((int(i), float(vector[i])) for i in hit), key=lambda item: (-item[1], item[0]))
        return ranked[:n]
