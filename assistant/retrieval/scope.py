"""The in-scope decision: does anything in the knowledge base answer this question?

Three signals, all cheap: how close the nearest chunk is in embedding space (cosine); how much of
the query's lexical weight (IDF mass) one of the top articles covers — words the knowledge base has
never seen (small talk, other AWS services) count at full weight against it; and whether the
question is about another cloud (Azure, GCP, …) with nothing tying it to AWS. The thresholds are
tuned on the public evaluation set by ``benchmarks/retrieval.py --tune``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from assistant.retrieval.lexical import BM25

__all__ = ["ScopeRule", "ScopeSignals", "foreign_platform", "lexical_coverage"]

# other clouds and platforms: their IAM questions look like ours but are not ours to answer
_FOREIGN = frozenset({"azure", "entra", "gcp", "bigquery", "gke", "gcloud", "alibaba", "aliyun", "oci",
                      "digitalocean", "heroku", "firebase"})
_FOREIGN_PAIRS = (("google", "cloud"), ("oracle", "cloud"), ("ibm", "cloud"), ("microsoft", "365"))
# words that tie a question to AWS even when another platform is named (e.g. Entra ID as a SAML IdP)
_AWS_ANCHORS = frozenset({"aws", "amazon", "arn"})
_AWS_PREFIXES = frozenset({"iam", "sts", "s3", "kms", "ec2", "lambda", "organizations", "sso", "dynamodb",
                           "sqs", "sns", "secretsmanager", "ssm", "cloudtrail", "aws", "arn"})


def foreign_platform(query_terms: Sequence[str]) -> bool:
    """The question names another cloud or platform and nothing that ties it to AWS."""
    terms = set(query_terms)
    named = bool(terms & _FOREIGN) or any(a in terms and b in terms for a, b in _FOREIGN_PAIRS)
    anchored = bool(terms & _AWS_ANCHORS) or any(":" in t and t.split(":", 1)[0] in _AWS_PREFIXES
                                                  for t in terms)
    return named and not anchored


@dataclass(frozen=True)
class ScopeSignals:
    """What the decision looks at."""

    dense_top: float
    coverage: float
    foreign: bool = False


@dataclass(frozen=True)
class ScopeRule:
    """In scope when the nearest chunk is very close, or fairly close with enough lexical coverage."""

    dense_high: float = 0.885
    dense_low: float = 0.80
    min_coverage: float = 0.35

    def in_scope(self, signals: ScopeSignals) -> bool:
        """Apply the rule."""
        if signals.foreign:
            return False
        if signals.dense_top >= self.dense_high:
            return True
        return signals.dense_top >= self.dense_low and signals.coverage >= self.min_coverage


def lexical_coverage(bm25: BM25, query_terms: Iterable[str], document_terms: Iterable[str]) -> float:
    """Share of the query's IDF mass found in one document; unknown query terms weigh the most."""
    unique = set(query_terms)
    if not unique:
        return 0.0
    present = set(document_terms)
    total = matched = 0.0
    for term in unique:
        weight = bm25.idf(term) if bm25.knows(term) else bm25.unseen_idf
        total += weight
        if term in present:
            matched += weight
    return matched / total if total else 0.0
