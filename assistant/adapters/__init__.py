"""Adapters: the outside world (files, catalog data, embeddings, vector store, LLM) behind small seams."""
