"""Pages of disjoint keys (customers, receivers) written side by side, in rounds.

Each round first asks for explicit bounds of its pages, so a key that appears meanwhile falls
inside a page's bounds or after the round, and is never skipped. Every page of a round commits
or the round fails; the cursor is heartbeaten only once the whole round is in, so a retried
activity resumes after the last round that committed whole and redoes at most one round, which
the pages' own idempotency makes harmless.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from temporalio import activity

PageResult = TypeVar("PageResult")


def resume_cursor(start: str | None) -> str | None:
    """Where this attempt starts: after the last round a previous attempt reported, if any."""
    details = activity.info().heartbeat_details
    return str(details[0]) if details else start


def _round_bounds(keys: list[str], page_size: int, pages: int) -> tuple[list[str], bool]:
    """The last key of each page of a round over `keys` (the next `page_size * pages` keys
    after the cursor), and whether keys may follow the last one."""
    bounds = keys[page_size - 1 :: page_size]
    if keys and (not bounds or bounds[-1] != keys[-1]):
        bounds.append(keys[-1])
    return bounds, len(keys) == page_size * pages


def work_in_rounds(
    pool: ThreadPoolExecutor,
    *,
    cursor: str | None,
    max_pages: int,
    page_size: int,
    pages: int,
    keys: Callable[[str | None, int], list[str]],
    page: Callable[[str | None, str], PageResult],
) -> tuple[list[PageResult], str | None]:
    """Run rounds of `pages` pages side by side on `pool` until `max_pages` are done or the keys
    run out. `keys(cursor, limit)` is the next `limit` keys after `cursor`; `page(after, last)`
    writes the keys in (after, last] in its own transaction. Returns each page's result and the
    cursor to go on from (None when done)."""
    results: list[PageResult] = []
    while len(results) < max_pages:
        lasts, more = _round_bounds(keys(cursor, page_size * pages), page_size, pages)
        if not lasts:
            return results, None
        ranges = zip([cursor, *lasts[:-1]], lasts, strict=True)
        results.extend(pool.map(lambda bound: page(*bound), ranges))
        cursor = lasts[-1] if more else None
        if cursor is None:
            return results, None
        activity.heartbeat(cursor)
    return results, cursor
