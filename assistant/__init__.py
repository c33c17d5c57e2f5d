"""kb-assistant: a support assistant for AWS access problems (Japanese first, bilingual).

Layers, imports pointing down only: ``engine`` (pure IAM policy core) <- ``adapters`` (catalog,
articles, embeddings, vector store, LLM) <- ``pipeline`` <- ``cli`` / ``api`` / ``ui``.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
