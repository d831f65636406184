"""evalsuite seen from other tools: benchmarks as lm-eval tasks, training data export, and the
development model server that tests and benches talk to.

May import the engine and every room below it; nothing imports it but the CLI.
"""
