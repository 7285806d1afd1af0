"""What the cost and on-time KPIs add to one evaluate() call.

For generated days (``generate_scenario(T, N, seed=3)``, cost rates set) and the
greedy plan of each, the table gives the time of one ``evaluate()`` and of the part
that computes the money and punctuality KPIs (``fsdispatch.evaluate.evaluator._money``),
best of ``--repeats`` rounds of ``--calls`` calls::

    python benchmarks/cost_kpis.py                    # 10x50, 25x200, 50x400
    python benchmarks/cost_kpis.py --days 100x1000 --calls 50
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import fsdispatch as fd
from fsdispatch.evaluate import evaluator


def best_of(call: Any, calls: int, repeats: int) -> float:
    """Best mean seconds per call over ``repeats`` rounds of ``calls`` calls."""
    times = []
    for _ in range(repeats):
        tic = time.perf_counter()
        for _ in range(calls):
            call()
        times.append((time.perf_counter() - tic) / calls)
    return min(times)


MONEY = evaluator._money  # the private helper timed here


def capture_money_args(problem: fd.Problem, plan: fd.Plan) -> tuple[Any, ...]:
    """The arguments ``evaluate(problem, plan)`` passes to the cost-KPI helper."""
    captured: list[tuple[Any, ...]] = []

    def spy(*a: Any) -> Any:
        captured.append(a)
        return MONEY(*a)

    evaluator._money = spy
    try:
        fd.evaluate(problem, plan)
    finally:
        evaluator._money = MONEY
    return captured[0]


def main(argv: list[str] | None = None) -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", nargs="+", default=["10x50", "25x200", "50x400"])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    print(f"{'day':>9} {'evaluate us':>12} {'cost KPIs us':>13} {'share':>6}")
    for spec in args.days:
        techs, tickets = (int(v) for v in spec.split("x"))
        scenario = fd.generate_scenario(techs, tickets, seed=3).replace(
            cost_rates=fd.CostRates(0.4, 9.0)
        )
        problem = fd.compile_scenario(scenario)
        plan = fd.solve(problem, "greedy", seed=0).plan
        money_args = capture_money_args(problem, plan)
        whole = best_of(lambda p=problem, q=plan: fd.evaluate(p, q), args.calls, args.repeats)
        money = best_of(lambda a=money_args: MONEY(*a), args.calls, args.repeats)
        print(f"{spec:>9} {whole * 1e6:12.0f} {money * 1e6:13.0f} {100 * money / whole:5.1f}%")


if __name__ == "__main__":
    main()
