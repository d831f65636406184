"""``evalsuite export lm-eval``: evalsuite benchmarks as lm-evaluation-harness tasks.

``export(B, DIR)`` writes, for every benchmark B selected (a family exports all its members):

- ``DIR/evalsuite_<b>.jsonl``: the samples, one per line, exactly as ``evalsuite samples``
  prints them (``benchmark``, ``id``, ``prompt`` = chat messages, ``target``, ``metadata``),
  drawn with the given ``--data``, ``--seed``, ``--limit`` and ``--set`` options;
- ``DIR/evalsuite_<b>.yaml``: the lm-eval task ``evalsuite_<b>`` (B with ``/`` and ``-``
  turned into ``_``), ``output_type: generate_until``;
- ``DIR/evalsuite_tasks.py``: a five-line module re-exporting the hooks below, which the YAML
  names with ``!function`` (lm-eval imports it from the YAML's folder);
- ``DIR/evalsuite_<family>.yaml``: a group of the members, when B is a family.

Then ``lm_eval --include_path DIR --tasks evalsuite_<b> --apply_chat_template ...`` runs the
benchmark inside lm-eval. The samples come from the JSONL beside the YAML (``custom_dataset``:
no hub access, and the folder can be moved). The prompt is the sample's own: its system
message (if any) is the task ``description``, its user message(s) ``doc_to_text``; with
``--apply_chat_template`` a chat model gets the same messages as from ``evalsuite run``.
Generation settings are the benchmark's: ``until`` = stop sequences, ``max_gen_toks``,
``temperature``, ``do_sample: false``.

Grading is evalsuite's: ``process_results`` rebuilds the Sample and runs the benchmark's own
``extract`` and ``score`` (through ``evalsuite.engine.runner.grade``, as ``evalsuite run`` does). It
returns every per-sample score value that is not None, plus ``extraction_failure_rate`` (1 when no
answer could be extracted, refusals excepted), each aggregated by lm-eval as a ``mean``. The
metric list is fixed at export time: the score names that the oracle reply and a failed
prediction produce on the exported samples. Benchmark-level metrics that are not means of
per-sample values (a custom ``aggregate``, e.g. F1) are not reproduced by lm-eval; the
per-sample scores are, exactly.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

MODULE = "evalsuite_tasks"
MODULE_TEXT = '''"""lm-eval hooks for tasks exported by evalsuite: grading is evalsuite's own."""
from pathlib import Path

from evalsuite.integrations.export_lm_eval import doc_to_target, doc_to_text, load_samples, process_results  # noqa: F401

def load(**kwargs):
    return load_samples(Path(__file__).parent, **kwargs)
'''
FAILURE_METRIC = "extraction_failure_rate"


def task_name(benchmark: str) -> str:
    return "evalsuite_" + benchmark.replace("/", "_").replace("-", "_")


# -- writing ------------------------------------------------------------------------------
def export(benchmark: str, out: Path, data: dict[str, Path], limit: int | None, seed: int,
           options: list[str], first: int | None = None) -> None:
    from evalsuite import __version__
    from evalsuite.core import registry
    from evalsuite.engine import subset

    out = Path(out)
    names = registry.expand([benchmark])
    per_bench = registry.split_options(options, names)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{MODULE}.py").write_text(MODULE_TEXT, encoding="utf-8")
    for name in names:
        bench = registry.create(name, per_bench[name])
        path = data.get(name, data.get("*"))
        task = task_name(name)
        metrics: dict[str, None] = {}
        with (out / f"{task}.jsonl").open("w", encoding="utf-8") as handle:
            for sample in subset.select(bench, path, seed, limit=limit, first=first):
                metrics.update(dict.fromkeys(metric_names(bench, sample)))
                line = {"benchmark": name, "id": sample.id, "prompt": sample.messages,
                        "target": sample.target, "metadata": sample.metadata}
                handle.write(json.dumps(line, ensure_ascii=False) + "\n")
        metrics[FAILURE_METRIC] = None
        declared = bench.metric_set()
        config = {
            "task": task,
            "dataset_path": "",
            "dataset_kwargs": {
                "samples_file": f"{task}.jsonl",
                "benchmark": name,
                "options": dict(per_bench[name]),
                "metrics": list(metrics),
            },
            "output_type": "generate_until",
            "test_split": "test",
            "description": "system",  # a doc field: the sample's system message, or ""
            "target_delimiter": "",
            "generation_kwargs": {
                "until": list(bench.generation.stop),
                "max_gen_toks": bench.generation.max_tokens,
                "temperature": bench.generation.temperature,
                "do_sample": False,
            },
            "metric_list": [
                {"metric": m, "aggregation": "mean", "higher_is_better": bool(declared[m].higher_is_better)}
                for m in metrics
            ],
            "metadata": {
                "version": float(bench.version) if is_number(bench.version) else 1.0,
                "evalsuite_benchmark": name,
                "evalsuite_version": __version__,
                "evalsuite_config": bench.config(),
                "headline": bench.headline,
                "seed": seed,
                "limit": limit,
                "first": first,
                "data": str(path) if path else None,
            },
        }
        write_yaml(out / f"{task}.yaml", config, functions={
            "custom_dataset": "load",
            "doc_to_text": "doc_to_text",
            "doc_to_target": "doc_to_target",
            "process_results": "process_results",
        })
    family = benchmark.strip()
    if family in registry.families():
        import yaml

        group = {"group": task_name(family), "task": [task_name(n) for n in names],
                 "metadata": {"version": 1.0, "evalsuite_benchmark": family}}
        (out / f"{task_name(family)}.yaml").write_text(yaml.safe_dump(group, sort_keys=False), encoding="utf-8")


def metric_names(bench: Any, sample: Any) -> list[str]:
    """Score names a reply to ``sample`` can produce: those of the oracle reply and of a failed
    prediction (some benchmarks score fewer metrics when nothing was extracted)."""
    from evalsuite.core.types import Reply
    from evalsuite.engine.grading import grade

    names: list[str] = []
    for reply in (Reply(text=bench.oracle_response(sample)), Reply(text=None, error="no reply")):
        _, score = grade(bench, sample, reply)
        names += [k for k in score.values if k not in names]
    return names


def write_yaml(path: Path, config: dict[str, Any], functions: dict[str, str]) -> None:
    import yaml

    text = yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
    text += "".join(f"{key}: !function {MODULE}.{fn}\n" for key, fn in functions.items())
    path.write_text(text, encoding="utf-8")


def is_number(text: str) -> bool:
    try:
        float(text)
    except (TypeError, ValueError):
        return False
    return True


# -- hooks lm-eval calls (through DIR/evalsuite_tasks.py) -----------------------------------
def load_samples(folder: Path, *, samples_file: str, benchmark: str, options: dict[str, Any],
                 metrics: list[str], **_: Any) -> dict[str, Any]:
    """``custom_dataset``: the exported JSONL as a ``test`` split of flat string columns
    (nested targets and metadata travel as JSON text, so Arrow never re-types them)."""
    import datasets

    rows = []
    path = Path(folder) / samples_file
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                messages = item["prompt"]
                sample = {"id": str(item["id"]), "messages": messages, "target": item["target"],
                          "metadata": item.get("metadata") or {}}
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{number}: not an evalsuite sample line ({exc})") from None
            rows.append({
                "id": sample["id"],
                "benchmark": benchmark,
                "options": json.dumps(options, sort_keys=True),
                "metrics": json.dumps(metrics),
                "system": "\n\n".join(m["content"] for m in messages if m["role"] == "system"),
                "prompt": "\n\n".join(m["content"] for m in messages if m["role"] != "system"),
                "target": sample_target_text(sample["target"]),
                "sample": json.dumps(sample, ensure_ascii=False),
            })
    return {"test": datasets.Dataset.from_list(rows)}


def sample_target_text(target: Any) -> str:
    return target if isinstance(target, str) else json.dumps(target, ensure_ascii=False)


def doc_to_text(doc: dict[str, Any]) -> str:
    return doc["prompt"]


def doc_to_target(doc: dict[str, Any]) -> str:
    return doc["target"]


@cache
def benchmark_of(name: str, options_json: str) -> Any:
    from evalsuite.core import registry

    return registry.create(name, json.loads(options_json))


def process_results(doc: dict[str, Any], results: list[Any]) -> dict[str, float]:
    """Grade lm-eval's reply with the benchmark's own extract + score."""
    from evalsuite.core.types import Reply, Sample
    from evalsuite.engine.grading import grade

    bench = benchmark_of(doc["benchmark"], doc["options"])
    sample = Sample(**json.loads(doc["sample"]))
    text = results[0] if results else None
    prediction, score = grade(bench, sample, Reply(text=text if isinstance(text, str) else None))
    known = json.loads(doc["metrics"])
    values = {k: float(v) for k, v in score.values.items() if v is not None and k in known}
    values[FAILURE_METRIC] = float(prediction.failure is not None and not prediction.is_refusal)
    return values
