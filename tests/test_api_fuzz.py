"""schemathesis over every operation of the OpenAPI document, with the administrator's token and
a seller's: no answer is a 5xx, every error is problem+json, and every answer (status, content
type, body, headers) is one the document declares. Examples are bounded to keep CI fast; run
`python3 dev.py bench api_fuzz` for a longer run."""

from __future__ import annotations

import os
from pathlib import Path

from tests.api_fuzz import fuzz_stack, run_schemathesis

# What the document promises; the checks on how the API treats request data it generates
# (e.g. accepting every schema-valid body) are the bench's, not a promise of the document.
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
    ]
)
MAX_EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "8"))


async def test_every_operation_answers_as_documented_for_admin_and_partner_tokens(
    tmp_path: Path,
) -> None:
    async with fuzz_stack() as stack:
        for who, token in stack.tokens.items():
            log = tmp_path / f"{who}.log"
            code = await run_schemathesis(
                stack,
                token,
                max_examples=MAX_EXAMPLES,
                phases="examples,coverage,fuzzing",
                checks=CHECKS,
                log=log,
            )
            assert code == 0, f"schemathesis with the {who}'s token:\n{log.read_text()[-6000:]}"
        requests, server_errors, not_problem = stack.counter.snapshot()
    assert requests > 500
    assert server_errors == 0, stack.counter.statuses
    assert not_problem == 0, stack.counter.not_problem.most_common(10)
