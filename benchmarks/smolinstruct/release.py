"""SMolInstruct rows from the data set's own ``data.zip`` (``evalsuite data pull smolinstruct``),
built as its loader script ``SMolInstruct.py`` builds them (osunlp/SMolInstruct on Hugging Face;
read from the copy in ducthinhh1002/LoRA_KALE_LM_CHEM, eval/SMolInstruct/SMolInstruct/):

- ``sample/instruction_tuning/test/{task}.json``: ``{"task", "split", "template_name", "samples":
  [{"idx", "template_id", "target"?}]}``, the test items in order;
- ``template/{template_name}/{task}.json``: a list of ``{"input", "output"}`` templates with
  ``<INPUT>`` / ``<OUTPUT>`` placeholders;
- ``raw/test/{task}.jsonl``: the raw items ``{"input", "output", "task", "split"}``; an ``output``
  that is an object is indexed by the sample's ``target``;
- ``core_tag/{task}.json``: ``{"input": [left, right], "output": [left, right]}`` (null: no tag).

A row's ``input`` is the template's with ``<INPUT>`` replaced by ``"{left} {raw input} {right}"``
(the raw input alone without tags), its ``output`` likewise. Read in place from the zip, each member
size-capped. Sample id: the item's position in the sample list.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from evalsuite.core.errors import DataError

MAX_MEMBER_BYTES = 1 << 30


def member_json(archive: Path, name: str, lines: bool = False) -> Any:
    from evalsuite.core.datasets import zip_member

    raw = zip_member(archive, name, MAX_MEMBER_BYTES)
    if raw is None:
        raise DataError(archive, 0, f"{name} is not in the archive (not SMolInstruct's data.zip?)")
    try:
        text = raw.decode("utf-8")
        return [json.loads(line) for line in text.splitlines() if line.strip()] if lines else json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(archive, 0, f"{name}: not valid JSON: {exc}") from None


def tagged(value: Any, tags: list[Any]) -> str:
    left, right = [*(tags or []), None, None][:2]
    return f"{left} {value} {right}" if left is not None else str(value)


def release_rows(archive: Path, task: str) -> Iterator[tuple[str, str, str]]:
    """(id, input, output) of the task's test items, in the data set's order."""
    record = member_json(archive, f"sample/instruction_tuning/test/{task}.json")
    if not isinstance(record, dict) or record.get("task") != task or not isinstance(record.get("samples"), list):
        raise DataError(archive, 0, f"sample list of {task} is not {{task, template_name, samples}}")
    templates = member_json(archive, f"template/{record['template_name']}/{task}.json")
    raw = member_json(archive, f"raw/test/{task}.jsonl", lines=True)
    tags = member_json(archive, f"core_tag/{task}.json")
    for position, item in enumerate(record["samples"]):
        try:
            data, template = raw[item["idx"]], templates[item["template_id"]]
        except (IndexError, KeyError, TypeError):
            raise DataError(archive, 0, f"{task}: sample {position} points past the raw items or templates") from None
        output = data["output"]
        if isinstance(output, dict):
            output = output[item["target"]]
        yield (str(position), template["input"].replace("<INPUT>", tagged(data["input"], tags["input"])),
               template["output"].replace("<OUTPUT>", tagged(output, tags["output"])))
