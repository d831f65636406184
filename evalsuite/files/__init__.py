"""The run's files and what reads them: the journal (samples.jsonl), results.json, run frames for
notebooks and readers, token and cost accounting, redaction of secrets before anything is written.

May import ``evalsuite.core`` and ``evalsuite.stats``.
"""
