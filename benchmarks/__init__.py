"""Benchmark adapters, one module or package per family, registered as entry points."""
