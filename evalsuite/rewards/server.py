"""``evalsuite serve rewards``: the graders over HTTP (aiohttp), for trainers in other processes.

Endpoints (``docs/contracts.md#reward-server``):
- ``POST /score``: a JSON list of ``{benchmark, target, completion[, options, metadata]}`` ->
  a list of ``{score, correct, format_ok, status, subscores, reason, latency_ms, cached}``;
- ``POST /get_reward``: OpenRLHF's remote reward model, ``{"query", "prompts", "labels"}`` ->
  ``{"rewards", "scores", "extra_logs"}``;
- ``GET /healthz``: liveness and counters.

Every item is graded in the grade pool, light graders too: a hostile completion then costs a
worker, never the event loop, and is capped (status ``timeout``). Bounds: the request body
(``max_body`` bytes, else 413), the items of one request (``max_items``, else 413), the requests
graded at once (``max_concurrency``; the others wait before their body is read, so memory is
bounded by max_concurrency x max_body), and the result cache (``cache_size`` entries, LRU,
keyed by benchmark, options, target, metadata, completion and grader version).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from evalsuite.engine.grade_pool import DEFAULT_TIMEOUT_S, GradePool, Item
from evalsuite.rewards.batch import Request, item_of
from evalsuite.rewards.core import STATUSES, Grade, RewardInputError, benchmark_of, grade_of, grader_version

DEFAULT_PORT = 8765


@dataclass
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    workers: int | None = None
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_body: int = 16 * 1024 * 1024
    max_items: int = 1024
    max_concurrency: int = 16
    cache_size: int = 20_000
    benchmark: str | None = None  # /get_reward labels that are bare targets are graded as this


class BadRequest(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class RewardService:
    def __init__(self, config: ServerConfig):
        self.config = config
        self.pool: GradePool | None = None
        self.gate = asyncio.Semaphore(config.max_concurrency)
        self.cache: OrderedDict[bytes, Grade] = OrderedDict()
        self.counters = {"requests": 0, "items": 0, "cache_hits": 0, "rejected": 0}

    async def start(self, app: web.Application) -> None:
        self.pool = GradePool(self.config.workers, self.config.timeout_s, warm=warm_list(self.config.benchmark))

    async def stop(self, app: web.Application) -> None:
        if self.pool is not None:
            await asyncio.to_thread(self.pool.close)
            self.pool = None

    # -- grading ----------------------------------------------------------------------------
    def key_of(self, item: Item) -> bytes:
        bench = benchmark_of(item.benchmark, item.options)
        parts = [item.benchmark, json.dumps(dict(item.options), sort_keys=True, default=str),
                 json.dumps(item.sample.target, sort_keys=True, default=str),
                 json.dumps(item.sample.metadata, sort_keys=True, default=str), grader_version(bench)]
        digest = hashlib.blake2b(digest_size=16)
        for part in parts:
            digest.update(part.encode())
            digest.update(b"\0")
        digest.update((item.reply.finish_reason or "").encode() + b"\0")
        digest.update((item.reply.text or "").encode("utf-8", "surrogatepass"))
        digest.update(b"\1" if item.reply.text is None else b"\2")
        return digest.digest()

    async def grade_one(self, item: Item, started: float) -> dict[str, Any]:
        key = self.key_of(item)
        cached = self.cache.get(key)
        if cached is not None:
            self.cache.move_to_end(key)
            self.counters["cache_hits"] += 1
            return self.row(cached, started, True)
        assert self.pool is not None
        prediction, score = await asyncio.wrap_future(self.pool.submit(item))
        result = grade_of(benchmark_of(item.benchmark, item.options), prediction, score)
        if result.status not in ("timeout", "error"):  # a cap or a crash may not repeat: grade again next time
            self.cache[key] = result
            if len(self.cache) > self.config.cache_size:
                self.cache.popitem(last=False)
        return self.row(result, started, False)

    @staticmethod
    def row(result: Grade, started: float, cached: bool) -> dict[str, Any]:
        return {"score": result.score, "correct": result.correct, "format_ok": result.format_ok,
                "status": result.status, "subscores": result.subscores, "reason": result.reason,
                "grader_version": result.grader_version,
                "latency_ms": round((time.perf_counter() - started) * 1000, 3), "cached": cached}

    async def grade_items(self, items: list[Item], started: float) -> list[dict[str, Any]]:
        return list(await asyncio.gather(*(self.grade_one(item, started) for item in items)))

    # -- request parsing ----------------------------------------------------------------------
    async def body(self, request: web.Request) -> Any:
        if request.content_length is not None and request.content_length > self.config.max_body:
            raise BadRequest(413, f"request body over {self.config.max_body} bytes")
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            raise BadRequest(413, f"request body over {self.config.max_body} bytes") from None
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadRequest(400, f"body is not JSON: {exc}") from None

    def check_count(self, n: int) -> None:
        if n > self.config.max_items:
            raise BadRequest(413, f"{n} items in one request; at most {self.config.max_items}")

    def score_items(self, data: Any) -> list[Item]:
        if isinstance(data, dict) and isinstance(data.get("items"), list):
            data = data["items"]
        if not isinstance(data, list):
            raise BadRequest(400, "body must be a JSON list of {benchmark, target, completion}")
        self.check_count(len(data))
        items = []
        for i, entry in enumerate(data):
            if (not isinstance(entry, dict) or not isinstance(entry.get("benchmark"), str)
                    or ("target" in entry) == ("ground_truth" in entry)):
                raise BadRequest(400, f"item {i}: needs benchmark (string), target (or ground_truth, its JSON "
                                      "text) and completion")
            completion, options = entry.get("completion"), entry.get("options") or {}
            if (completion is not None and not isinstance(completion, str)) or not isinstance(options, dict):
                raise BadRequest(400, f"item {i}: completion must be a string and options an object")
            metadata, finish = entry.get("metadata"), entry.get("finish_reason")
            as_json = "ground_truth" in entry
            items.append(self.item(Request(entry["benchmark"], entry["ground_truth" if as_json else "target"],
                                           completion, options, metadata if isinstance(metadata, dict) else None,
                                           as_json, finish if isinstance(finish, str) else None), i))
        return items

    def item(self, request: Request, index: int) -> Item:
        try:
            return item_of(request, index)
        except RewardInputError as exc:
            raise BadRequest(400, str(exc)) from None

    def openrlhf_items(self, data: Any) -> list[Item]:
        """OpenRLHF sends query = prompt + response; the prompt prefix is removed here."""
        if not isinstance(data, dict) or not all(isinstance(data.get(k), list) for k in ("query", "labels")):
            raise BadRequest(400, 'body must be {"query": [...], "prompts": [...], "labels": [...]}')
        queries, labels = data["query"], data["labels"]
        prompts = data.get("prompts") or [""] * len(queries)
        cut = data.get("truncated") or [False] * len(queries)  # not sent by OpenRLHF's executor; a custom one may
        if not len(queries) == len(labels) == len(prompts) or not isinstance(cut, list) or len(cut) != len(queries):
            raise BadRequest(400, "query, prompts, labels (and truncated) differ in length")
        self.check_count(len(queries))
        items = []
        for i, (query, prompt, label, flag) in enumerate(zip(queries, prompts, labels, cut)):
            if not isinstance(query, str) or not isinstance(prompt, str):
                raise BadRequest(400, f"item {i}: query and prompt must be strings")
            response = query[len(prompt):] if query.startswith(prompt) else query
            request = self.label_request(label, response, i)
            if flag:
                request = Request(request.benchmark, request.target, response, request.options, request.metadata,
                                  request.json_target, "length")
            items.append(self.item(request, i))
        return items

    def label_request(self, label: Any, response: str, index: int) -> Request:
        """A label is the JSON text of ``{"benchmark", "target"[, "options", "metadata"]}``, or, with
        ``--benchmark``, the JSON text of the target alone."""
        try:
            decoded = json.loads(label) if isinstance(label, str) else label
        except ValueError:
            decoded = None
        if isinstance(decoded, dict) and isinstance(decoded.get("benchmark"), str) and "target" in decoded:
            return Request(decoded["benchmark"], decoded["target"], response, decoded.get("options") or {},
                           decoded.get("metadata"))
        if self.config.benchmark is None:
            raise BadRequest(400, f"item {index}: label must be the JSON of {{benchmark, target}} "
                                  "(or start the server with --benchmark)")
        return Request(self.config.benchmark, label, response, json_target=True)

    # -- handlers ---------------------------------------------------------------------------------
    async def handle(self, request: web.Request, parse: Any, answer: Any) -> web.Response:
        started = time.perf_counter()
        async with self.gate:
            try:
                items = parse(await self.body(request))
            except BadRequest as exc:
                self.counters["rejected"] += 1
                return web.json_response({"error": str(exc)}, status=exc.status)
            self.counters["requests"] += 1
            self.counters["items"] += len(items)
            rows = await self.grade_items(items, started)
        return web.json_response(answer(rows))

    async def score(self, request: web.Request) -> web.Response:
        return await self.handle(request, self.score_items, lambda rows: rows)

    async def get_reward(self, request: web.Request) -> web.Response:
        def answer(rows: list[dict[str, Any]]) -> dict[str, Any]:
            rewards = [row["score"] for row in rows]
            # numbers only: OpenRLHF does torch.tensor([value]) on every extra_logs value
            # (openrlhf/trainer/ppo_utils/samples_generator.py); the status is one-hot columns
            logs = {"correct": [float(r["correct"]) for r in rows], "format_ok": [float(r["format_ok"]) for r in rows]}
            for status in STATUSES:
                logs[f"status_{status.replace('-', '_')}"] = [float(r["status"] == status) for r in rows]
            return {"rewards": rewards, "scores": rewards, "extra_logs": logs}

        return await self.handle(request, self.openrlhf_items, answer)

    async def healthz(self, request: web.Request) -> web.Response:
        pool = self.pool
        return web.json_response({
            "ok": pool is not None, "workers": pool.size if pool else 0,
            "timeout_s": self.config.timeout_s, "cache_entries": len(self.cache),
            **self.counters, **(pool.stats if pool else {}),
        })


def warm_list(extra: str | None) -> list[str]:
    """What every worker loads before it takes items (and again after a restart), so that a
    first item never spends its cap importing RDKit: the heavy graders, one TAIL task (one
    import loads them all) and the server's ``--benchmark``."""
    from evalsuite.core import registry

    names = [name for name, entry in registry.benchmarks().items() if getattr(entry.factory, "grade_cost", "") == "heavy"]
    names += [n for n in registry.benchmarks() if n.startswith("tail/")][:1]
    return [*names, *([extra] if extra and extra not in names else [])]


def make_app(config: ServerConfig) -> web.Application:
    service = RewardService(config)
    # aiohttp's own body cap, a little above ours so that our 413 message wins
    app = web.Application(client_max_size=config.max_body + 1)
    app.on_startup.append(service.start)
    app.on_cleanup.append(service.stop)
    app.router.add_post("/score", service.score)
    app.router.add_post("/get_reward", service.get_reward)
    app.router.add_get("/healthz", service.healthz)
    app["service"] = service
    return app


def serve(config: ServerConfig) -> None:
    """Serve until SIGINT / SIGTERM; the workers are stopped on the way out."""
    web.run_app(make_app(config), host=config.host, port=config.port, print=None, handle_signals=True)
