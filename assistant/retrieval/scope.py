"""The in-scope decision: does anything in the knowledge base answer this question?

Four signals, all cheap: how close the nearest chunk is in embedding space (cosine); how much of
the query's lexical weight (IDF mass) one of the top articles covers — words the knowledge base has
never seen (small talk, other AWS services) count at full weight against it; whether the question
is about another cloud (Azure, GCP, …) with nothing tying it to AWS; and whether it names an AWS
service that none of the top articles mentions. The last one matters because every access question
looks alike to the embedding model ("role", "AccessDenied", "policy"): a Cognito or Redshift
question lands as close to the knowledge base as an S3 one. The thresholds are tuned on the public
evaluation set by ``benchmarks/retrieval.py --tune``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence, Set
from dataclasses import dataclass

from assistant.retrieval.lexical import BM25

__all__ = ["ScopeRule", "ScopeSignals", "foreign_platform", "lexical_coverage", "named_services",
           "unanswered_service"]

# other clouds and platforms: their IAM questions look like ours but are not ours to answer
_FOREIGN = frozenset({"azure", "entra", "gcp", "bigquery", "gke", "gcloud", "alibaba", "aliyun", "oci",
                      "digitalocean", "heroku", "firebase"})
_FOREIGN_PAIRS = (("google", "cloud"), ("oracle", "cloud"), ("ibm", "cloud"), ("microsoft", "365"))
# words that tie a question to AWS even when another platform is named (e.g. Entra ID as a SAML IdP)
_AWS_ANCHORS = frozenset({"aws", "amazon", "arn"})
_AWS_PREFIXES = frozenset({"iam", "sts", "s3", "kms", "ec2", "lambda", "organizations", "sso", "dynamodb",
                           "sqs", "sns", "secretsmanager", "ssm", "cloudtrail", "aws", "arn"})

# AWS services as customers write them, as the tokenizer gives them (``DynamoDB`` → ``dynamodb``,
# ``Step Functions`` → ``step`` + ``function``): the knowledge base answers a question about one of
# them only when its articles mention it
_SERVICES = frozenset({
    "acm", "amplify", "apigateway", "appflow", "apprunner", "appstream", "appsync", "athena", "aurora", "beanstalk",
    "bedrock", "cdk", "cloud9", "cloudformation", "cloudfront", "cloudhsm", "cloudsearch", "cloudtrail",
    "cloudwatch", "codeartifact", "codebuild", "codecommit", "codedeploy", "codepipeline", "cognito", "comprehend",
    "datasync", "documentdb", "dynamodb", "ebs", "ec2", "ecr", "ecs", "efs", "eks", "elasticache", "elasticsearch",
    "emr", "eventbridge", "fargate", "firehose", "fsx", "glacier", "glue", "guardduty", "iam", "iot", "kendra",
    "kinesis", "kms", "lambda", "lightsail", "macie", "memorydb", "msk", "mwaa", "neptune", "opensearch",
    "organizations", "pinpoint", "polly", "quicksight", "rds", "redshift", "rekognition", "route53", "s3",
    "sagemaker", "secretsmanager", "securityhub", "ses", "sns", "sqs", "ssm", "sso", "sts", "textract",
    "timestream", "transcribe", "waf", "workspaces", "xray",
})
_SERVICE_PAIRS = (("step", "function"), ("api", "gateway"), ("secrets", "manager"), ("lake", "formation"),
                  ("identity", "center"), ("control", "tower"))
_TOP_ARTICLES = 3  # a service mentioned by none of the three best articles is not answered


def named_services(query_terms: Iterable[str]) -> list[tuple[str, ...]]:
    """The AWS services a question names, each as the terms that name it."""
    terms = set(query_terms)
    named: list[tuple[str, ...]] = [(word,) for word in sorted(_SERVICES & terms)]
    named.extend(pair for pair in _SERVICE_PAIRS if all(word in terms for word in pair))
    return named


def unanswered_service(query_terms: Iterable[str], top: Sequence[Set[str]],
                       vocabularies: Collection[Set[str]]) -> bool:
    """The question names an AWS service that none of the ``top`` articles mentions (their terms).

    A service that is rare in the knowledge base (at most one article in ten) and that the best
    article mentions anchors the question: "CDK deploy from CodeBuild" is a CDK question even though
    no article mentions CodeBuild, while S3 or IAM, mentioned everywhere, anchor nothing.
    """
    named = named_services(query_terms)
    if not named or not top:
        return False
    seen = set().union(*top[:_TOP_ARTICLES])
    if all(set(service) <= seen for service in named):
        return False
    rare = max(1, len(vocabularies) // 10)
    return not any(set(service) <= top[0] and sum(set(service) <= v for v in vocabularies) <= rare
                   for service in named)


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
    unanswered_service: bool = False


@dataclass(frozen=True)
class ScopeRule:
    """In scope when the nearest chunk is very close, or fairly close with enough lexical coverage."""

    dense_high: float = 0.885
    dense_low: float = 0.80
    min_coverage: float = 0.35

    def in_scope(self, signals: ScopeSignals) -> bool:
        """Apply the rule."""
        if signals.foreign or signals.unanswered_service:
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
