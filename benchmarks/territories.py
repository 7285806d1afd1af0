"""What territories and certifications cost in solve time and objective (issue #19).

One generated day (default 100 technicians x 1 000 tickets, two days of shifts) solved by
greedy and ``ls`` (fixed iterations) as generated ("plain"), with four hard territories,
with soft territories (``out_of_territory`` = 60), and with certifications of every
second technician lapsing after the first day. Prints one row per (variant, solver):
compile and solve seconds, assigned, visits out of territory and the objective; each
plan is checked by the evaluator.

    python benchmarks/territories.py
    python benchmarks/territories.py --size 40x400 --iterations 2000
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta

import attrs

import fsdispatch as fd

_AREAS = ("north", "south", "east", "west")


def variants(scenario: fd.Scenario) -> dict[str, fd.Scenario]:
    """The plain day and its territory / certification variants."""
    xs = sorted(t.location.x for t in scenario.tickets)
    ys = sorted(t.location.y for t in scenario.tickets)
    mx, my = xs[len(xs) // 2], ys[len(ys) // 2]

    def area(loc: fd.Location) -> str:
        return _AREAS[(loc.x < mx) * 2 + (loc.y < my)]

    tickets = tuple(attrs.evolve(t, territory=area(t.location)) for t in scenario.tickets)
    techs = tuple(attrs.evolve(
        t, territories=tuple(dict.fromkeys((area(t.start_location), _AREAS[k % 4]))),
        team=f"team-{k % 5}") for k, t in enumerate(scenario.technicians))
    hard = attrs.evolve(scenario, tickets=tickets, technicians=techs)
    soft = attrs.evolve(hard, objective=attrs.evolve(hard.objective, out_of_territory=60.0))
    lapse = scenario.horizon.start + timedelta(hours=20)
    certified = tuple(attrs.evolve(t, certifications={s: lapse for s in t.skills})
                      if k % 2 == 0 else t for k, t in enumerate(scenario.technicians))
    return {"plain": scenario, "hard territories": hard, "soft territories": soft,
            "certifications": attrs.evolve(scenario, technicians=certified)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="100x1000", help="TECHNICIANSxTICKETS")
    parser.add_argument("--days", type=int, default=2)
    parser.add_argument("--iterations", type=int, default=1000, help="ls iterations")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    num_t, num_n = (int(v) for v in args.size.split("x"))
    fd.solve(fd.generate_scenario(2, 5, seed=0), "greedy")  # JIT warm-up / cache load
    fd.solve(fd.generate_scenario(2, 5, seed=0), "ls", max_iterations=10)
    base = fd.generate_scenario(num_t, num_n, seed=args.seed, days=args.days)
    print(f"{num_t} technicians, {num_n} tickets, {args.days} day(s), seed {args.seed}")
    print(f"{'variant':<18} {'solver':<7} {'compile s':>9} {'solve s':>8} {'assigned':>8} "
          f"{'outside':>7} {'objective':>12}")
    for name, scenario in variants(base).items():
        tic = time.perf_counter()
        problem = fd.compile_scenario(scenario)
        comp = time.perf_counter() - tic
        for solver, opts in (("greedy", {}), ("ls", {"max_iterations": args.iterations})):
            tic = time.perf_counter()
            result = fd.solve(problem, solver, seed=args.seed, **opts)
            solve = time.perf_counter() - tic
            ev = result.evaluation
            assert ev.is_feasible, ev.violations[:3]
            print(f"{name:<18} {solver:<7} {comp:>9.3f} {solve:>8.3f} {ev.kpis.assigned:>8} "
                  f"{ev.kpis.out_of_territory:>7} {ev.objective:>12,.0f}")


if __name__ == "__main__":
    main()
