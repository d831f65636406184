"""``--model-config FILE.yaml``: what a team checks into its repository about one model, and the
generation options given on the command line (docs/contracts.md#model-config).

Precedence, per setting: a CLI flag, then the model config's entry for the benchmark (under
``benchmarks:``), then the model config, then the benchmark's default. Extra body fields merge key
by key in the same order.

``benchmarks:`` maps a benchmark name, a family name or a glob (``chembench4k/*``) to its own
``generation`` and ``extra_body`` (thinking on for one family and off for another, as vendor
evaluation configs do). A benchmark takes the entry of its exact name, else of its family, else
the first glob in file order that matches it; entries do not stack. The file is read with ``yaml.safe_load`` and
checked: an unknown key or a value of the wrong type is an error naming the file and key, not a
setting silently ignored.
"""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalsuite.core.errors import RunError
from evalsuite.files.accounting import Prices

GENERATION_TYPES: dict[str, tuple[type, ...]] = {
    "temperature": (int, float), "max_tokens": (int,), "stop": (list,), "seed": (int, type(None)),
    "system_prompt": (str,), "top_p": (int, float), "top_k": (int,), "min_p": (int, float),
    "presence_penalty": (int, float), "frequency_penalty": (int, float), "reasoning_effort": (str,),
}
DEDICATED = {**{name: "--" + name.replace("_", "-") for name in GENERATION_TYPES},
             "max_completion_tokens": "--max-tokens with --max-tokens-param max_completion_tokens"}
RESERVED = ("model", "messages", "stream", "n")
"""Body fields the harness owns: a reply is one non-streamed choice for the benchmark's messages."""
KEYS = ("model", "base_url", "generation", "extra_body", "max_tokens_param", "timeout", "max_concurrency", "price",
        "benchmarks", "n_sampling")
PER_BENCHMARK_KEYS = ("generation", "extra_body")
HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")


@dataclass
class ModelConfig:
    model: str | None = None
    base_urls: list[str] = field(default_factory=list)
    generation: dict[str, Any] = field(default_factory=dict)
    extra_body: dict[str, Any] = field(default_factory=dict)
    max_tokens_param: str | None = None
    timeout_s: float | None = None
    max_concurrency: int | None = None
    prices: Prices | None = None
    per_benchmark: dict[str, dict[str, Any]] = field(default_factory=dict)
    """pattern -> {"generation": {...}, "extra_body": {...}}"""
    n_sampling: bool | None = None


def load(path: Path) -> ModelConfig:
    import yaml

    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RunError(f"--model-config {path}: cannot read it: {exc}") from None
    except yaml.YAMLError as exc:
        raise RunError(f"--model-config {path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise RunError(f"--model-config {path}: expected a mapping of {', '.join(KEYS)}")
    unknown = sorted(set(raw) - set(KEYS))
    if unknown:
        raise RunError(f"--model-config {path}: unknown key(s) {', '.join(map(str, unknown))} (known: {', '.join(KEYS)})")

    def want(key: str, types: tuple[type, ...], value: Any) -> Any:
        if (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
            names = " or ".join("null" if t is type(None) else t.__name__ for t in types)
            raise RunError(f"--model-config {path}: {key} must be {names}, not {value!r}")
        return value

    config = ModelConfig()
    if "model" in raw:
        config.model = want("model", (str,), raw["model"])
    if "base_url" in raw:
        urls = raw["base_url"] if isinstance(raw["base_url"], list) else [raw["base_url"]]
        config.base_urls = [want("base_url", (str,), url) for url in urls]
    for key, value in (want("generation", (dict,), raw.get("generation") or {})).items():
        if key not in GENERATION_TYPES:
            raise RunError(f"--model-config {path}: generation.{key} is not a generation setting "
                           f"(known: {', '.join(GENERATION_TYPES)}; other body fields go under extra_body)")
        config.generation[key] = want(f"generation.{key}", GENERATION_TYPES[key], value)
    config.extra_body = check_extra_body(want("extra_body", (dict,), raw.get("extra_body") or {}),
                                         f"--model-config {path}: extra_body")
    if "max_tokens_param" in raw:
        config.max_tokens_param = want("max_tokens_param", (str,), raw["max_tokens_param"])
    if "timeout" in raw:
        config.timeout_s = float(want("timeout", (int, float), raw["timeout"]))
    if "max_concurrency" in raw:
        config.max_concurrency = want("max_concurrency", (int,), raw["max_concurrency"])
    if "n_sampling" in raw:
        config.n_sampling = want("n_sampling", (bool,), raw["n_sampling"])
    for pattern, entry in want("benchmarks", (dict,), raw.get("benchmarks") or {}).items():
        where = f"benchmarks.{pattern}"
        entry = want(where, (dict,), entry or {})
        unknown = sorted(set(entry) - set(PER_BENCHMARK_KEYS))
        if unknown:
            raise RunError(f"--model-config {path}: {where}: unknown key(s) {', '.join(map(str, unknown))} "
                           f"(known: {', '.join(PER_BENCHMARK_KEYS)})")
        generation = {}
        for key, value in want(f"{where}.generation", (dict,), entry.get("generation") or {}).items():
            if key not in GENERATION_TYPES:
                raise RunError(f"--model-config {path}: {where}.generation.{key} is not a generation setting "
                               f"(known: {', '.join(GENERATION_TYPES)})")
            generation[key] = want(f"{where}.generation.{key}", GENERATION_TYPES[key], value)
        extra = check_extra_body(want(f"{where}.extra_body", (dict,), entry.get("extra_body") or {}),
                                 f"--model-config {path}: {where}.extra_body")
        config.per_benchmark[str(pattern)] = {"generation": generation, "extra_body": extra}
    if "price" in raw:
        price = want("price", (dict, list), raw["price"])
        pair = [price.get("input"), price.get("output")] if isinstance(price, dict) else price
        try:
            config.prices = Prices.parse(",".join(str(v) for v in pair))
        except ValueError:
            raise RunError(f"--model-config {path}: price must be {{input: X, output: Y}} per million tokens, "
                           f"not {price!r}") from None
    return config


def check_extra_body(body: dict[str, Any], where: str) -> dict[str, Any]:
    for key in body:
        if key in DEDICATED:
            raise RunError(f"{where}: {key} has its own setting ({DEDICATED[key]})")
        if key in RESERVED:
            raise RunError(f"{where}: {key} is set by evalsuite and cannot be overridden")
    return dict(body)


def parse_gen_args(items: list[str]) -> dict[str, Any]:
    """``KEY=JSON`` pairs (``--gen-arg``) as extra body fields; a value that is not JSON is an error."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise RunError(f"--gen-arg expects KEY=JSON, got {item!r}")
        try:
            out[key.strip()] = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise RunError(f"--gen-arg {key.strip()}: the value is not JSON ({exc.msg}); "
                           f"quote strings, e.g. {key.strip()}='\"text\"'") from None
    return check_extra_body(out, "--gen-arg")


def parse_headers(items: list[str]) -> dict[str, str]:
    """``NAME=VALUE`` pairs (``--header``). Values are never echoed: they may be credentials."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not HEADER_NAME.match(name):
            raise RunError(f"--header expects NAME=VALUE with an HTTP header name, got the name {name!r}")
        out[name] = value
    return out


# -- the command line's generation options ------------------------------------------------------
def add_generation_args(p: Any) -> None:
    """The ``run`` flags for generation and the model config (argparse parser ``p``)."""
    from evalsuite.engine.checks import argtype

    p.add_argument("--model-config", type=Path, metavar="FILE.yaml",
                   help="model string, base URLs, generation settings, extra body fields, timeout, "
                        "concurrency, prices; flags override it")
    p.add_argument("--temperature", type=argtype("--temperature"))
    p.add_argument("--max-tokens", type=argtype("--max-tokens"))
    p.add_argument("--max-tokens-param", choices=("max_tokens", "max_completion_tokens"),
                   help="request field for the token limit (max_completion_tokens for the OpenAI API's "
                        "reasoning models; default max_tokens)")
    p.add_argument("--stop", action="append", help="stop sequence; repeatable")
    p.add_argument("--system-prompt")
    p.add_argument("--top-p", type=float)
    p.add_argument("--top-k", type=int)
    p.add_argument("--min-p", type=float)
    p.add_argument("--presence-penalty", type=float)
    p.add_argument("--frequency-penalty", type=float)
    p.add_argument("--reasoning-effort", help="e.g. low, medium, high (servers that take it)")
    p.add_argument("--gen-arg", action="append", default=[], metavar="KEY=JSON",
                   help="any other request-body field, e.g. chat_template_kwargs='{\"enable_thinking\": true}'; repeatable")
    p.add_argument("--header", action="append", default=[], metavar="NAME=VALUE",
                   help="extra HTTP header; repeatable; values are never written anywhere")
    p.add_argument("--price", metavar="INPUT,OUTPUT", help="price per million prompt and completion tokens (for cost)")
    p.add_argument("--n-sampling", action=argparse.BooleanOptionalAction, default=None,
                   help="with --epochs K, ask an openai/ server for K completions in one request (n: K, the "
                        "prompt prefilled once; default on; a server refusing n gets separate requests)")


def generation_config(args: Any) -> dict[str, Any]:
    """The RunConfig fields the generation flags and ``--model-config`` decide: flags win."""
    config = load(args.model_config) if args.model_config else ModelConfig()
    flags = {name: getattr(args, name) for name in GENERATION_TYPES}
    overrides = {**config.generation, **{k: v for k, v in flags.items() if v is not None}}
    extra_body = {**config.extra_body, **parse_gen_args(args.gen_arg)}
    if extra_body:
        overrides["extra_body"] = extra_body
    per_benchmark = {}
    for pattern, entry in config.per_benchmark.items():
        merged = {**config.generation, **entry["generation"], **{k: v for k, v in flags.items() if v is not None}}
        body = {**config.extra_body, **entry["extra_body"], **parse_gen_args(args.gen_arg)}
        if body:
            merged["extra_body"] = body
        per_benchmark[pattern] = merged
    model = args.model or config.model
    if not model:
        raise RunError("run needs --model (or a model config with a model string)")
    try:
        prices = Prices.parse(args.price) if args.price else config.prices
    except ValueError as exc:
        raise RunError(str(exc)) from None
    return {
        "model": model,
        "overrides": overrides,
        "base_urls": args.base_url or config.base_urls,
        "max_concurrency": args.max_concurrency or config.max_concurrency or 8,
        "timeout_s": args.timeout if args.timeout is not None else config.timeout_s,
        "headers": parse_headers(args.header),
        "max_tokens_param": args.max_tokens_param or config.max_tokens_param or "max_tokens",
        "prices": prices,
        "n_sampling": next((v for v in (getattr(args, "n_sampling", None), config.n_sampling) if v is not None), True),
        "per_benchmark": per_benchmark,
    }


def overrides_for(name: str, overrides: dict[str, Any], per_benchmark: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The overrides that apply to benchmark ``name``: its model-config entry (exact name, then
    family, then the first matching glob), already merged with the config and the flags; else
    the run's own."""
    from fnmatch import fnmatchcase

    family = name.split("/", 1)[0]
    for pattern in (name, family):
        if pattern in per_benchmark:
            return per_benchmark[pattern]
    for pattern, merged in per_benchmark.items():
        if fnmatchcase(name, pattern):
            return merged
    return overrides


def default_out(model: str) -> Path:
    """``runs/<model name>`` when no ``--out`` is given."""
    name = model.rstrip("/").rsplit("/", 1)[-1] or "run"
    if model.startswith("replay/"):  # replay/examples/pr-replies.jsonl -> runs/pr-replies
        name = Path(name).stem or "run"
    return Path("runs") / re.sub(r"[^A-Za-z0-9._-]+", "-", name)
