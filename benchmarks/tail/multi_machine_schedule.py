"""multi-machine-schedule (TAIL, class Greedy): best total benefit of unit tasks with deadlines.

Buckets (n = number of tasks): S 5-10, M 11-20, L 21-50. Model: x identical machines (x in
1..3); time is split into slots 1, 2, 3, ...; every task takes exactly one slot on one machine;
a machine runs at most one task per slot. Task i has a deadline d_i (in 1..ceil(n / x)) and a
benefit b_i (in 1..50); it earns b_i only if it runs in a slot <= d_i, and it may be left out.
The answer is the largest achievable total benefit (an integer). The reference solver is the
greedy rule: take tasks by decreasing benefit and put each in the latest slot <= its deadline
that still has a free machine (optimal: the feasible sets form a matroid).
"""

from __future__ import annotations

import random

from evalsuite.benchmarks.tail.base import Instance, TailTask, draw_length
from evalsuite.scorers.exact import parse_int

Task = tuple[int, int]  # (deadline, benefit)


def greedy_benefit(tasks: list[Task], machines: int) -> int:
    free = {slot: machines for slot in range(1, max(d for d, _ in tasks) + 1)}
    total = 0
    for index in sorted(range(len(tasks)), key=lambda i: (-tasks[i][1], i)):
        deadline, benefit = tasks[index]
        for slot in range(deadline, 0, -1):
            if free[slot]:
                free[slot] -= 1
                total += benefit
                break
    return total


def tasks_text(tasks: list[Task]) -> str:
    return "; ".join(f"task {i} (deadline {d}, benefit {b})" for i, (d, b) in enumerate(tasks, start=1))


class MultiMachineSchedule(TailTask):
    task = "multi-machine-schedule"
    task_class = "Greedy"
    flexible_number = True
    description = (
        "TAIL multi-machine-schedule: best total benefit of n unit-time tasks with deadlines on x machines "
        "(n S 5-10, M 11-20, L 21-50), exact integer"
    )
    ranges = {"S": (5, 10), "M": (11, 20), "L": (21, 50)}
    answer_format = "<the largest total benefit, an integer>"
    templates = (
        "There are {x} identical machines. Each task below takes exactly one time slot (slots 1, 2, 3, ...) on one "
        "machine, and a machine runs at most one task per slot. A task earns its benefit only if it runs in a slot "
        "no later than its deadline; tasks may be skipped. Tasks: {tasks}. What is the largest total benefit?",
        "Schedule {n} unit-length jobs on {x} parallel machines (one job per machine per time slot, slots numbered "
        "from 1). A job pays its benefit only when it is done in a slot at or before its deadline; jobs can be "
        "dropped. Jobs: {tasks}. Find the maximum total benefit.",
        "With {x} machine(s) working in time slots 1, 2, 3, ..., each handling one task per slot, choose and place "
        "tasks to maximise the sum of benefits of tasks finished by their deadlines (a task fills one slot). "
        "{tasks}. What is the best possible total?",
        "Tasks: {tasks}. Every task needs one time slot on one of {x} identical machines; slot numbers start at 1; "
        "a task counts only if its slot is at most its deadline, and unscheduled tasks earn nothing. "
        "Give the maximum total benefit.",
        "A workshop has {x} machines. In each time slot (1, 2, ...) every machine can complete one task. "
        "Completing a task by its deadline earns its benefit; late or skipped tasks earn 0. For {tasks}, "
        "what is the highest total benefit the workshop can earn?",
    )

    paper_questions = (
        'There are ${x}$ identical machines. Each task takes exactly one time slot (slots $1, 2, 3, \\dots$) on one machine, a machine runs at most one task per slot, and a task earns its benefit only if it runs in a slot no later than its deadline; tasks may be skipped. Tasks: {tasks}. What is the largest total benefit?',
        'Schedule ${n}$ unit-length tasks on ${x}$ parallel machines (one task per machine per slot, slots numbered from $1$). A task pays its benefit only when it runs at or before its deadline; tasks can be left out. Tasks: {tasks}. Find the maximum total benefit.',
        'With ${x}$ machines, each able to run one unit-time task per slot (slots $1, 2, \\dots$), choose which of these tasks to run and when, each by its deadline, to earn the most benefit: {tasks}. What is the maximum total benefit?',
    )

    def draw(self, rng: random.Random, bucket: str) -> Instance:
        n = draw_length(rng, self.ranges[bucket])
        x = rng.randint(1, 3)
        horizon = max(1, -(-n // x))
        tasks = [(rng.randint(1, horizon), rng.randint(1, 50)) for _ in range(n)]
        fields = {"n": n, "x": x, "tasks": tasks_text(tasks)}
        return Instance(fields, greedy_benefit(tasks, x), {"n": n})

    def parse_answer(self, text: str) -> int:
        return parse_int(text)

    def trace(self, instance: Instance) -> str:
        x = instance.fields["x"]
        tasks = [
            (int(part.split("deadline ")[1].split(",")[0]), int(part.split("benefit ")[1].rstrip(")")))
            for part in instance.fields["tasks"].split("; ")
        ]
        free = {slot: x for slot in range(1, max(d for d, _ in tasks) + 1)}
        lines = [f"Order tasks by benefit, largest first. State: every slot has {x} free machine(s), total = 0."]
        total = 0
        for index in sorted(range(len(tasks)), key=lambda i: (-tasks[i][1], i)):
            deadline, benefit = tasks[index]
            placed = next((slot for slot in range(deadline, 0, -1) if free[slot]), None)
            if placed is None:
                lines.append(f"Task {index + 1} (deadline {deadline}, benefit {benefit}): fetch slots {deadline}..1: all full; skip.")
                continue
            free[placed] -= 1
            total += benefit
            lines.append(f"Task {index + 1} (deadline {deadline}, benefit {benefit}): fetch slots from {deadline} down: "
                         f"slot {placed} has a free machine; place it ({free[placed]} left there); total = {total}")
        return "\n".join(lines)
