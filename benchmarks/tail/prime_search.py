"""prime-search (TAIL, class Enumeration): all primes in an interval [n, m].

Buckets (w = width of the interval, the count of integers m - n + 1 to examine): S 5-100,
M 101-200, L 201-300. The start n is drawn from 2..10000, so m stays below 10300. The answer
is the SET of primes p with n <= p <= m, comma-separated in any order, or "none" when the
interval holds no prime. A repeated, missing or extra number makes the answer wrong.
``fidelity=paper``: n < m are both drawn from the bucket range (S 5-100, M 101-200, L 201-300),
the length is m. In both modes an interval without primes is at most 10% of a bucket.
"""

from __future__ import annotations

import random
from functools import cache

from evalsuite.benchmarks.tail.base import Instance, TailTask, draw_length
from evalsuite.benchmarks.tail.numbers import join
from evalsuite.scorers.exact import parse_int_list, same_set

MAX_START = 10_000
LIMIT = MAX_START + 300


@cache
def sieve(limit: int = LIMIT) -> bytearray:
    """is_prime[k] for 0 <= k <= limit (sieve of Eratosthenes)."""
    is_prime = bytearray([1]) * (limit + 1)
    is_prime[0:2] = b"\x00\x00"
    for p in range(2, int(limit**0.5) + 1):
        if is_prime[p]:
            is_prime[p * p :: p] = bytearray(len(range(p * p, limit + 1, p)))
    return is_prime


def primes_between(low: int, high: int) -> list[int]:
    table = sieve()
    return [k for k in range(low, high + 1) if table[k]]


class PrimeSearch(TailTask):
    task = "prime-search"
    task_class = "Enumeration"
    description = (
        "TAIL prime-search: the set of primes in [n, m] where the width m - n + 1 is the length "
        "(S 5-100, M 101-200, L 201-300; n in 2..10000)"
    )
    ranges = {"S": (5, 100), "M": (101, 200), "L": (201, 300)}
    answer_format = "<all primes in the interval, comma-separated, in any order, or none>"
    templates = (
        "List all prime numbers between {low} and {high}, inclusive.",
        "Find every prime p with {low} <= p <= {high}.",
        "Which numbers in the range [{low}, {high}] are prime? Include both ends if they are prime.",
        "Search the integers from {low} to {high} (inclusive) and report all the primes.",
        "Give all primes in the closed interval from {low} to {high}.",
    )

    paper_questions = (
        'List all prime numbers $p$ with ${low} \\le p \\le {high}$.',
        'Find every prime in the closed interval $[{low}, {high}]$.',
        'Which integers from ${low}$ to ${high}$ (both included) are prime? Give all of them.',
    )
    divergences = (
        "the bucket range is the interval's width, its start drawn from 2..10000 (the paper: the bucket range holds the bounds' values)",
    )

    def draw(self, rng: random.Random, bucket: str) -> Instance:
        if self.paper:  # Table C1: the bucket range holds the bounds' values
            low, high = sorted(rng.sample(range(self.ranges[bucket][0], self.ranges[bucket][1] + 1), 2))
            return Instance({"low": low, "high": high}, primes_between(low, high), {"high": high})
        width = draw_length(rng, self.ranges[bucket])
        low = rng.randint(2, MAX_START)
        high = low + width - 1
        return Instance({"low": low, "high": high}, primes_between(low, high), {"width": width})

    def is_trivial(self, instance: Instance) -> bool:
        return not instance.answer  # "none" is guessable

    def format_answer(self, answer) -> str:
        return join(answer) if len(answer) else "none"

    def parse_answer(self, text: str) -> list[int]:
        return parse_int_list(text)

    def is_correct(self, predicted, gold) -> bool:
        return same_set(predicted, gold)

    def trace(self, instance: Instance) -> str:
        low, high = instance.fields["low"], instance.fields["high"]
        lines = [f"Test each k from {low} to {high} by trial division up to sqrt(k). State: primes = none."]
        found: list[int] = []
        for k in range(low, high + 1):
            divisor = next((d for d in range(2, int(k**0.5) + 1) if k % d == 0), None)
            if divisor is None:
                found.append(k)
                lines.append(f"k = {k}: fetch k; no divisor from 2 to {int(k**0.5)}; prime; primes = {join(found)}")
            else:
                lines.append(f"k = {k}: fetch k; {k} = {divisor} * {k // divisor}; not prime")
        return "\n".join(lines)
