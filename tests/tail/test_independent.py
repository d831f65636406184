"""Every task's reference answer against an independent computation (brute force or a second
algorithm), on 210 generated instances per task (70 per bucket). The checks below re-read each
instance from the text the model is shown, not from the generator's internals."""

from __future__ import annotations

import heapq
import itertools
import math
import re
from fractions import Fraction
from functools import cache

import pytest

from evalsuite.benchmarks.tail import TASKS
from evalsuite.benchmarks.tail.base import BUCKETS

PER_BUCKET = 70


def instances(task):
    bench = task({"per_bucket": str(PER_BUCKET)})
    for bucket in BUCKETS:
        for _, instance in bench.instances(bucket, seed=11):
            yield bench, bucket, instance


def ints(text: str) -> list[int]:
    return [int(v) for v in re.findall(r"\d+", text)]


# -- independent solvers, one per task ----------------------------------------------------------
def add(f):
    return Fraction(f["x1"]) + Fraction(f["x2"])


def divide(f):
    exact = Fraction(f["x1"], f["x2"])
    return Fraction(math.floor(exact * 10**4), 10**4)


def compare(f):
    a, b = Fraction(f["x1"]), Fraction(f["x2"])
    return ">" if a > b else "<" if a < b else "="


def population(f):
    # Cohort simulation: count pairs by age, age everyone each unit, breeders (age >= x) give birth.
    n, x, y, z = f["n"], f["x"], f["y"], f["z"]
    ages = {0: y}
    for _ in range(n):
        ages = {age + 1: count for age, count in ages.items()}
        newborn = z * sum(count for age, count in ages.items() if age >= x)
        ages[0] = ages.get(0, 0) + newborn
    return sum(ages.values())


def floyd_warshall(f):
    n = f["n"]
    inf = float("inf")
    d = [[0 if i == j else inf for j in range(n)] for i in range(n)]
    for u, v, w in (map(int, m) for m in re.findall(r"(\d+)-(\d+) \((\d+)\)", f["edges"])):
        d[u][v] = d[v][u] = min(d[u][v], w)
    for k in range(n):
        for i in range(n):
            for j in range(n):
                if d[i][k] + d[k][j] < d[i][j]:
                    d[i][j] = d[i][k] + d[k][j]
    return [int(v) for v in d[0]]


def schedule_tasks(f):
    return [tuple(map(int, m)) for m in re.findall(r"deadline (\d+), benefit (\d+)", f["tasks"])]


def schedule_by_deadline(f):
    # Second algorithm: scan tasks by deadline, keep the best x*d benefits in a min-heap.
    machines, kept = f["x"], []
    for deadline, benefit in sorted(schedule_tasks(f)):
        heapq.heappush(kept, benefit)
        while len(kept) > machines * deadline:
            heapq.heappop(kept)
    return sum(kept)


def schedule_brute(f):
    # Hall's condition: a set fits iff for every t at most x*t chosen tasks have deadline <= t.
    tasks, machines, best = schedule_tasks(f), f["x"], 0
    for mask in range(1 << len(tasks)):
        chosen = [tasks[i] for i in range(len(tasks)) if mask >> i & 1]
        if all(sum(1 for d, _ in chosen if d <= t) <= machines * t for t in range(1, len(tasks) + 1)):
            best = max(best, sum(b for _, b in chosen))
    return best


def knapsack_brute(f):
    items = [tuple(map(int, m)) for m in re.findall(r"weight (\d+), value (\d+)", f["items"])]
    return max(
        sum(v for _, v in combo)
        for r in range(len(items) + 1)
        for combo in itertools.combinations(items, r)
        if sum(w for w, _ in combo) <= f["capacity"]
    )


def is_subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


def lcs_brute(f):
    a, b = sorted((f["a"], f["b"]), key=len)
    for r in range(len(a), -1, -1):
        if any(is_subsequence("".join(c), b) for c in itertools.combinations(a, r)):
            return r


def levenshtein_recursive(f):
    a, b = f["a"], f["b"]

    @cache
    def dist(i: int, j: int) -> int:  # suffixes a[i:], b[j:]
        if i == len(a) or j == len(b):
            return (len(a) - i) + (len(b) - j)
        if a[i] == b[j]:
            return dist(i + 1, j + 1)
        return 1 + min(dist(i + 1, j), dist(i, j + 1), dist(i + 1, j + 1))

    return dist(0, 0)


def derangement_formula(f):
    n, k, kind = f["n"], f["k"], f["kind"]
    if kind == "avoid":
        return sum((-1) ** j * math.comb(k, j) * math.factorial(n - j) for j in range(k + 1))
    m = n if kind == "derangement" else n - k
    d = sum(Fraction((-1) ** j * math.factorial(m), math.factorial(j)) for j in range(m + 1))
    return int(d) * (math.comb(n, k) if kind == "exactly" else 1)


def is_prime(k: int) -> bool:
    return k >= 2 and all(k % d for d in range(2, math.isqrt(k) + 1))


CHECKS = {
    "large-number-addition": lambda f, gold: Fraction(str(gold)) == add(f),
    "large-number-division": lambda f, gold: Fraction(str(gold)) == divide(f),
    "bubble-sort": lambda f, gold: gold == sorted(ints(f["numbers"])),
    "word-flip": lambda f, gold: gold == f["sentence"][::-1],
    "compare-numbers": lambda f, gold: gold == compare(f),
    "any-substring": lambda f, gold: sorted(gold) == sorted(
        {f["text"][i:j] for i in range(len(f["text"])) for j in range(i + 1, len(f["text"]) + 1)}
    ),
    "derangement": lambda f, gold: gold == derangement_formula(f),
    "population-growth": lambda f, gold: gold == population(f),
    "dijkstra": lambda f, gold: gold == floyd_warshall(f),
    "multi-machine-schedule": lambda f, gold: gold == schedule_by_deadline(f)
    and (f["n"] > 12 or gold == schedule_brute(f)),
    "count-letters": lambda f, gold: gold == f["sentence"].count(f["letter"]),
    "diophantine-equation": lambda f, gold: sorted(gold) == [
        (x1, x2) for x1 in range(f["n"] + 1) for x2 in range(f["n"] + 1) if f["a"] * x1 + f["b"] * x2 == f["n"]
    ],
    "prime-search": lambda f, gold: gold == [k for k in range(f["low"], f["high"] + 1) if is_prime(k)],
    "knapsack-01": lambda f, gold: gold == knapsack_brute(f),
    "lcs": lambda f, gold: gold == lcs_brute(f),
    "levenshtein": lambda f, gold: gold == levenshtein_recursive(f),
    "binary-search": lambda f, gold: gold == ints(f["numbers"]).index(f["target"]),
    "permutation-combination": lambda f, gold: sorted("".join(sorted(c)) for c in gold) == sorted(
        "".join(sorted(c)) for c in itertools.combinations(f["letters"].split(", "), f["k"])
    ),
}


def test_every_task_has_a_check():
    assert set(CHECKS) == {task.task for task in TASKS}
    assert len(TASKS) == 18


@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.task)
def test_reference_matches_independent_check(task):
    checked = 0
    for bench, bucket, instance in instances(task):
        lo, hi = bench.ranges[bucket]
        assert all(lo <= v <= hi for v in instance.lengths.values()), (bucket, instance.lengths)
        assert CHECKS[task.task](instance.fields, instance.answer), (bucket, instance.fields, instance.answer)
        checked += 1
    assert checked >= 200


def test_derangement_brute_force_small_n():
    """All three questions on every (n, k) with n <= 7, by listing the permutations."""
    from evalsuite.benchmarks.tail.derangement import count

    for n in range(1, 8):
        perms = list(itertools.permutations(range(n)))
        fixed = [sum(p[i] == i for i in range(n)) for p in perms]
        assert count("derangement", n, 0) == fixed.count(0)
        for k in range(1, n + 1):
            assert count("exactly", n, k) == fixed.count(k)
            assert count("avoid", n, k) == sum(all(p[i] != i for i in range(k)) for p in perms)


def test_hand_worked_values():
    """Textbook values: D(4) = 9, D(5) = 44; Fibonacci rabbits; a small graph; kitten/sitting."""
    from evalsuite.benchmarks.tail.derangement import derangements
    from evalsuite.benchmarks.tail.dijkstra import dijkstra
    from evalsuite.benchmarks.tail.levenshtein import edit_distance
    from evalsuite.benchmarks.tail.multi_machine_schedule import greedy_benefit
    from evalsuite.benchmarks.tail.population_growth import pairs

    assert [derangements(n) for n in range(7)] == [1, 0, 1, 2, 9, 44, 265]
    assert pairs(7, 2, 1, 1) == [1, 1, 2, 3, 5, 8, 13, 21]
    assert dijkstra(4, [(0, 1, 5), (0, 2, 1), (1, 2, 2), (2, 3, 7)]) == [0, 3, 1, 8]
    assert edit_distance("kitten", "sitting") == 3
    # One machine, deadlines 2,1,2,1 with benefits 100,19,27,25: best is 100 + 27 (slot 1 and 2).
    assert greedy_benefit([(2, 100), (1, 19), (2, 27), (1, 25)], 1) == 127
