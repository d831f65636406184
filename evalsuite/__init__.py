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
    "Sample": "evalsuite.core.types", "Reply": "evalsuite.core.types", "Prediction": "evalsuite.core.types",
    "Score": "evalsuite.core.types", "SampleRecord": "evalsuite.core.types", "MetricValue": "evalsuite.core.types",
    "BenchmarkResult": "evalsuite.core.types", "GenerationSettings": "evalsuite.core.types",
    # writing a benchmark
    "BenchmarkBase": "evalsuite.core.benchmark", "Family": "evalsuite.core.benchmark", "Reads": "evalsuite.core.reads",
    "Metric": "evalsuite.core.metrics", "MetricSet": "evalsuite.core.metrics", "RewardSpec": "evalsuite.core.reward_spec",
    # running and grading
    "Runner": "evalsuite.engine.runner", "RunConfig": "evalsuite.engine.runner",
    "grade": "evalsuite.engine.grading", "graded": "evalsuite.engine.grading",
    # reading runs
    "load_run": "evalsuite.files.frames", "load_results": "evalsuite.files.frames",
    # errors
    "EvalsuiteError": "evalsuite.core.errors", "RunError": "evalsuite.core.errors", "BenchmarkError": "evalsuite.core.errors",
    "DataError": "evalsuite.core.errors",
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
    from evalsuite.core.benchmark import BenchmarkBase, Family
    from evalsuite.core.errors import BenchmarkError, DataError, EvalsuiteError, RunError
    from evalsuite.core.metrics import Metric, MetricSet
    from evalsuite.core.reads import Reads
    from evalsuite.core.reward_spec import RewardSpec
    from evalsuite.core.types import (
        BenchmarkResult,
        GenerationSettings,
        MetricValue,
        Prediction,
        Reply,
        Sample,
        SampleRecord,
        Score,
    )
    from evalsuite.engine.grading import grade, graded
    from evalsuite.engine.runner import RunConfig, Runner
    from evalsuite.files.frames import load_results, load_run


def __getattr__(name: str) -> Any:  # the lazy imports (PEP 562)
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'evalsuite' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
