"""The graders as training rewards (``docs/contracts.md#rewards``).

``grade(benchmark, target, completion)`` -> ``Grade``: the very grading ``evalsuite run``
journals, turned into a reward in [0, 1] by the benchmark's declared ``RewardSpec``.
``grade_many`` grades a batch (heavy graders in the process pool, capped per item); the trainer
adapters ``compute_score`` (verl) and ``trl_reward`` (TRL GRPOTrainer) wrap them; ``evalsuite
serve rewards`` serves them over HTTP (``evalsuite.rewards.server``).

May import the engine (grading, grade pool) and every room below it.
"""

from __future__ import annotations

from evalsuite.rewards.adapters import compute_score, compute_score_batch, trl_reward
from evalsuite.rewards.batch import Request, grade_many
from evalsuite.rewards.core import STATUSES, Grade, GraderError, RewardInputError, grade

__all__ = ["STATUSES", "Grade", "GraderError", "Request", "RewardInputError", "compute_score", "compute_score_batch", "grade",
           "grade_many", "trl_reward"]
