"""Ids a statement makes with billing.store.ascending_ids are version-7 UUIDs that ascend in
the order of their counter and carry the statement's start."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import Engine, text

from billing.store.ascending_ids import ascending_uuid_sql


def test_ids_of_one_statement_ascend_with_their_counter_and_are_version_7(
    engine: Engine,
) -> None:
    counters = [1, 2, 3, 16_383, 16_384, 16_385, 2**26 - 1]
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                f"select n, {ascending_uuid_sql('n')} as id, statement_timestamp() as at "
                "from unnest(cast(:counters as bigint[])) n order by random()"
            ),
            {"counters": counters},
        ).all()
    by_counter = [uuid.UUID(str(row.id)) for row in sorted(rows, key=lambda row: row.n)]
    assert by_counter == sorted(by_counter)
    assert len(set(by_counter)) == len(counters)
    assert {(u.version, u.variant) for u in by_counter} == {(7, uuid.RFC_4122)}
    started_ms = int(rows[0].at.astimezone(UTC).timestamp() * 1000)
    assert {u.int >> 80 for u in by_counter} == {started_ms}
    assert abs(started_ms / 1000 - datetime.now(UTC).timestamp()) < 60


def test_ids_of_a_later_statement_sort_after_an_earlier_ones(engine: Engine) -> None:
    made = []
    for _ in range(2):
        with engine.connect() as conn:
            made.append(
                uuid.UUID(str(conn.execute(text(f"select {ascending_uuid_sql('1')}")).scalar()))
            )
            conn.execute(text("select pg_sleep(0.002)"))
    assert made[0] < made[1]
