"""Fuzz the whole HTTP API with schemathesis, as a new user would, and count what it answers.

    python3 dev.py bench api_fuzz [--max-examples N] [--phases examples,coverage,fuzzing]

A private stack (database, Temporal dev server, worker, API on a free port) with a small world;
the schemathesis CLI runs over every operation twice, with the administrator's token and with a
seller's token. The API counts every response itself: requests, 5xx answers, and error answers
that are not problem+json. Schemathesis' own reports are in bench/.api_fuzz/.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from tests.api_fuzz import fuzz_stack, run_schemathesis


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-examples", type=int, default=30)
    parser.add_argument("--phases", default="examples,coverage,fuzzing")
    parser.add_argument("--checks", default="all")
    args = parser.parse_args()
    reports = Path("bench/.api_fuzz")
    await asyncio.to_thread(reports.mkdir, parents=True, exist_ok=True)
    results = {}
    async with fuzz_stack() as stack:
        for who, token in stack.tokens.items():
            before = stack.counter.snapshot()
            log = reports / f"{who}.log"
            code = await run_schemathesis(
                stack,
                token,
                max_examples=args.max_examples,
                phases=args.phases,
                checks=args.checks,
                log=log,
            )
            after = stack.counter.snapshot()
            results[who] = ([a - b for a, b in zip(after, before, strict=True)], code, log)
        counter = stack.counter
    print(f"schemathesis, {args.max_examples} examples per operation, phases {args.phases}")
    for who, ((requests, errors5xx, not_problem), code, log) in results.items():
        print(
            f"  {who:6} token: {requests} requests, {errors5xx} answered 5xx, "
            f"{not_problem} errors not problem+json (schemathesis exit {code}, log {log})"
        )
    print("  statuses:", dict(sorted(counter.statuses.items())))
    for key, n in counter.not_problem.most_common(25):
        print(f"    {n:5}  {key}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
