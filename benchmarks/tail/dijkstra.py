"""dijkstra (TAIL, class Greedy): shortest-path distances from vertex 0 in a weighted graph.

Buckets (n = number of vertices): S 3-5, M 6-10, L 11-20. Graph: undirected, vertices 0..n-1,
integer edge weights 1..20, connected by construction (a random spanning tree: vertex v of a
random order joins a random earlier vertex) plus 0..n extra distinct edges between random
pairs. No self loops, no parallel edges. The answer is the list of shortest distances from
vertex 0 to vertices 0, 1, ..., n-1 in that order (so it starts with 0); order matters.
"""

from __future__ import annotations

import heapq
import random

from evalsuite.benchmarks.tail.base import Instance, TailTask, draw_length
from evalsuite.benchmarks.tail.numbers import join
from evalsuite.scorers.exact import parse_int_list, same_sequence

Edge = tuple[int, int, int]


def random_graph(rng: random.Random, n: int) -> list[Edge]:
    order = list(range(n))
    rng.shuffle(order)
    edges: dict[tuple[int, int], int] = {}
    for i in range(1, n):
        u, v = order[i], order[rng.randrange(i)]
        edges[(min(u, v), max(u, v))] = rng.randint(1, 20)
    all_pairs = n * (n - 1) // 2
    for _ in range(rng.randint(0, n)):
        if len(edges) == all_pairs:
            break
        u, v = rng.sample(range(n), 2)
        edges.setdefault((min(u, v), max(u, v)), rng.randint(1, 20))
    return sorted((u, v, w) for (u, v), w in edges.items())


def adjacency(n: int, edges: list[Edge]) -> list[list[tuple[int, int]]]:
    adj: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for u, v, w in edges:
        adj[u].append((v, w))
        adj[v].append((u, w))
    for row in adj:
        row.sort()
    return adj


def dijkstra(n: int, edges: list[Edge], source: int = 0) -> list[int]:
    adj = adjacency(n, edges)
    dist: list[int | None] = [None] * n
    heap = [(0, source)]
    while heap:
        d, u = heapq.heappop(heap)
        if dist[u] is not None:
            continue
        dist[u] = d
        for v, w in adj[u]:
            if dist[v] is None:
                heapq.heappush(heap, (d + w, v))
    return [d if d is not None else -1 for d in dist]


def edges_text(edges: list[Edge]) -> str:
    return ", ".join(f"{u}-{v} ({w})" for u, v, w in edges)


class Dijkstra(TailTask):
    task = "dijkstra"
    task_class = "Greedy"
    description = (
        "TAIL dijkstra: shortest distances from vertex 0 in an undirected weighted graph of n vertices "
        "(S 3-5, M 6-10, L 11-20), answer the distance list in vertex order"
    )
    ranges = {"S": (3, 5), "M": (6, 10), "L": (11, 20)}
    answer_format = "<distances to vertices 0, 1, ..., n-1 in that order, comma-separated>"
    templates = (
        "An undirected graph has vertices 0 to {last}. Its edges, written u-v (weight), are: {edges}. "
        "Using Dijkstra's algorithm, find the shortest distance from vertex 0 to every vertex.",
        "Find the shortest-path distances from vertex 0 to all vertices 0..{last} of this weighted undirected graph. "
        "Edges (u-v (weight)): {edges}.",
        "Graph with {n} vertices numbered 0 to {last}; undirected weighted edges: {edges}. "
        "Give the length of the shortest path from vertex 0 to each vertex, in vertex order.",
        "Run Dijkstra from source 0 on the undirected graph with edges {edges} (vertices 0..{last}, "
        "edge weights in parentheses). What are the final distances?",
        "The roads between {n} towns (0 to {last}) are: {edges}, each road usable in both directions with the "
        "length in parentheses. How far is each town from town 0 along the shortest route?",
    )

    paper_questions = (
        "An undirected graph has vertices $0$ to ${last}$ and the edges (written u-v (weight)) {edges}. Using Dijkstra's algorithm, find the shortest distance from vertex $0$ to every vertex.",
        'Find the shortest-path distances from vertex $0$ to each of the vertices $0, \\dots, {last}$ of the weighted undirected graph with edges {edges} (u-v (weight)).',
        "Run Dijkstra's algorithm from vertex $0$ on the undirected graph with vertices $0$ to ${last}$ and weighted edges {edges}; give the distance to every vertex.",
    )

    def draw(self, rng: random.Random, bucket: str) -> Instance:
        n = draw_length(rng, self.ranges[bucket])
        edges = random_graph(rng, n)
        fields = {"n": n, "last": n - 1, "edges": edges_text(edges)}
        return Instance(fields, dijkstra(n, edges), {"n": n})

    def format_answer(self, answer) -> str:
        return join(answer)

    def parse_answer(self, text: str) -> list[int]:
        return parse_int_list(text)

    def is_correct(self, predicted, gold) -> bool:
        return same_sequence(predicted, gold)

    def trace(self, instance: Instance) -> str:
        n = instance.fields["n"]
        edges = [
            (int(uv.split("-")[0]), int(uv.split("-")[1]), int(w.strip("()")))
            for uv, w in (item.split(" ") for item in instance.fields["edges"].split(", "))
        ]
        adj = adjacency(n, edges)
        tentative: dict[int, int] = {0: 0}
        done: dict[int, int] = {}
        lines = ["State: tentative = {0: 0}, finished = {}."]
        while tentative:
            u = min(tentative, key=lambda v: (tentative[v], v))
            d = tentative.pop(u)
            done[u] = d
            lines.append(f"Pick the smallest tentative vertex: {u} with distance {d}; finish it.")
            for v, w in adj[u]:
                if v in done:
                    continue
                old = tentative.get(v)
                if old is None or d + w < old:
                    tentative[v] = d + w
                    lines.append(f"  edge {u}-{v} ({w}): fetch dist({u}) = {d}; {d} + {w} = {d + w} < "
                                 f"{'inf' if old is None else old}; tentative[{v}] = {d + w}")
                else:
                    lines.append(f"  edge {u}-{v} ({w}): fetch dist({u}) = {d}; {d} + {w} = {d + w} >= {old}; keep {old}")
        lines.append("Distances in vertex order: " + join(done[v] for v in range(n)))
        return "\n".join(lines)
