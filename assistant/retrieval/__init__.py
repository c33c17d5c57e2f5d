"""Retrieval over the knowledge base: chunking, lexical + dense search, fusion, incremental ingest.

The answer pipeline calls ``Retriever(settings).search(query, k)`` and gets a ``SearchResult``;
``search_document`` turns one into the ``search --json`` wire shape.
"""

from assistant.retrieval.ingest import IngestReport
from assistant.retrieval.results import Hit, SearchResult, search_document
from assistant.retrieval.retriever import RetrievalConfig, Retriever

__all__ = ["Hit", "IngestReport", "RetrievalConfig", "Retriever", "SearchResult", "search_document"]
