"""evalsuite: a scientific benchmark harness for language models.

Kept import-light: ``evalsuite --help`` must not pull in numpy, pandas, RDKit or pymatgen, so every
public name below is imported on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY: dict[str, str] = {
    # records
    "Sample": "evalsuite.types", "Reply": "evalsuite.types", "Prediction": "evalsuite.types",
    "Score": "evalsuite.types", "SampleRecord": "evalsuite.types", "MetricValue": "evalsuite.types",
    "BenchmarkResult": "evalsuite.types", "GenerationSettings": "evalsuite.types",
    # writing a benchmark
    "BenchmarkBase": "evalsuite.benchmark", "Family": "evalsuite.benchmark", "Reads": "evalsuite.reads",
    "Metric": "evalsuite.metrics", "MetricSet": "evalsuite.metrics", "RewardSpec": "evalsuite.reward_spec",
    # running and grading
    "Runner": "evalsuite.runner", "RunConfig": "evalsuite.runner",
    "grade": "evalsuite.grading", "graded": "evalsuite.grading",
    # reading runs
    "load_run": "evalsuite.frames", "load_results": "evalsuite.frames",
    # errors
    "EvalsuiteError": "evalsuite.errors", "RunError": "evalsuite.errors", "BenchmarkError": "evalsuite.errors",
    "DataError": "evalsuite.errors",
}

__all__ = [
    "BenchmarkBase",
    "BenchmarkError",
    "BenchmarkResult",
    "DataError",
    "EvalsuiteError",
    "Family",
    "GenerationSettings",
    "Metric",
    "MetricSet",
    "MetricValue",
    "Prediction",
    "Reads",
    "Reply",
    "RewardSpec",
    "RunConfig",
    "RunError",
    "Runner",
    "Sample",
    "SampleRecord",
    "Score",
    "__version__",
    "grade",
    "graded",
    "load_results",
    "load_run",
]

if TYPE_CHECKING:
    from evalsuite.benchmark import BenchmarkBase, Family
    from evalsuite.errors import BenchmarkError, DataError, EvalsuiteError, RunError
    from evalsuite.frames import load_results, load_run
    from evalsuite.grading import grade, graded
    from evalsuite.metrics import Metric, MetricSet
    from evalsuite.reads import Reads
    from evalsuite.reward_spec import RewardSpec
    from evalsuite.runner import RunConfig, Runner
    from evalsuite.types import (
        BenchmarkResult,
        GenerationSettings,
        MetricValue,
        Prediction,
        Reply,
        Sample,
        SampleRecord,
        Score,
    )


def __getattr__(name: str) -> Any:  # the lazy imports (PEP 562)
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'evalsuite' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
