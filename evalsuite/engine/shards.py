"""``--shard I/N``, ``--shard auto`` and ``--shard auto/N``: which slice of a run this process runs.

``auto`` takes the slice from the cluster's array job, so one script serves every task:

- a Slurm job array (``sbatch --array=1-8``): index = SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN,
  count = SLURM_ARRAY_TASK_COUNT (so 0- and 1-based arrays give the same slices; arrays with a
  step, ``--array=0-15:2``, are refused: their ids are not consecutive);
- a Kubernetes Indexed Job: index = JOB_COMPLETION_INDEX (0-based); Kubernetes exports no
  count, so it is given as ``auto/N`` (the Job's ``completions``).

The slice itself is ``rundir.in_shard``; the run directory records the resolved ``[I, N]``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from evalsuite.core.errors import RunError

SLURM_VARS = ("SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_COUNT")
K8S_INDEX = "JOB_COMPLETION_INDEX"


def parse_shard(text: str | None, env: Mapping[str, str] | None = None) -> tuple[int, int] | None:
    """(index, count) from ``--shard`` (None when not sharded); raises RunError with the reason."""
    if not text:
        return None
    env = os.environ if env is None else env
    head, _, tail = text.partition("/")
    if head == "auto":
        count = _integer(tail, f"--shard {text}: N") if tail else None
        shard = _from_env(env, count, text)
    else:
        try:
            shard = (int(head), int(tail))
        except ValueError:
            raise RunError(f"--shard expects I/N, auto or auto/N, got {text!r}") from None
    index, total = shard
    if not (total >= 1 and 0 <= index < total):
        raise RunError(f"--shard {text}: need 0 <= I < N, got {index}/{total}")
    return shard


def _from_env(env: Mapping[str, str], count: int | None, text: str) -> tuple[int, int]:
    if env.get(K8S_INDEX, "") != "":
        if count is None:
            raise RunError(f"--shard auto: {K8S_INDEX} is set (a Kubernetes Indexed Job) but the number of "
                           "shards is not: use --shard auto/N with N = the Job's completions")
        return _integer(env[K8S_INDEX], K8S_INDEX), count
    if env.get("SLURM_ARRAY_TASK_ID", "") != "":
        missing = [name for name in SLURM_VARS if env.get(name, "") == ""]
        if missing:
            raise RunError(f"--shard {text}: SLURM_ARRAY_TASK_ID is set but {', '.join(missing)} is not")
        task, low, tasks = (_integer(env[name], name) for name in SLURM_VARS)
        step = env.get("SLURM_ARRAY_TASK_STEP", "1") or "1"
        if step != "1":
            raise RunError(f"--shard {text}: a Slurm array with step {step} has gaps between task ids; "
                           "use a consecutive array (--array=0-N) or --shard I/N")
        if count is not None and count != tasks:
            raise RunError(f"--shard {text}: the Slurm array has {tasks} tasks, not {count}")
        return task - low, tasks
    raise RunError(f"--shard {text}: no array job found (neither SLURM_ARRAY_TASK_ID nor {K8S_INDEX} is set); "
                   "use --shard I/N outside a Slurm job array or a Kubernetes Indexed Job")


def _integer(raw: str, what: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise RunError(f"{what} must be an integer, got {raw!r}") from None
