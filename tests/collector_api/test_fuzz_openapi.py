"""The API fuzzed against its own OpenAPI document (schemathesis): no 500, only documented statuses."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, status_code_conformance

from tests.collector_api.conftest import AUTH, Api

EXAMPLES_PER_ROUTE = 12


def test_no_server_errors_and_only_documented_statuses(api: Api, run: dict) -> None:
    # POST /replay is left out: a fuzzed prefix of a run recorded here could start a real replay.
    schema = schemathesis.openapi.from_url(api.url + "/openapi.json").exclude(method="POST")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    statuses: set[int] = set()

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_ROUTE, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case: schemathesis.Case) -> None:
            response = case.call_and_validate(headers=AUTH, checks=[not_a_server_error, status_code_conformance],
                                              timeout=10)
            statuses.add(response.status_code)

        check()
    assert 404 in statuses and statuses & {200, 422}  # the fuzzer reached the handlers, not only the router
