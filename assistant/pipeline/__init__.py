"""The pipeline: diagnosing pasted errors against pasted policies, retrieving articles, answering."""
