"""Adapters: the outside world (files, catalog data, embeddings, vector store, LLM) behind small seams.

Each gets its clients and settings through its constructor; nothing is built at import time.
"""

__all__: list[str] = []
