"""The core: records and protocols every other room builds on.

Holds the records (``types``), errors, metric declarations, the benchmark protocol and its default
aggregation (record tables, intervals), the registry, extraction, reasoning, images, data-set
loading and safe file writes. Imports nothing of evalsuite outside ``evalsuite.core``.
"""
