"""The pipeline: reading a question, diagnosing pasted errors against pasted policies, retrieving
articles and answering (``assistant.pipeline.answer.Assistant`` is the one entry point).
"""

__all__: list[str] = []
