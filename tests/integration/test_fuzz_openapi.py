"""Every write endpoint of the OpenAPI document, fuzzed by schemathesis (issue 6)."""

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode

from tests.support.sites import TEST_PASSWORD

EXAMPLES_PER_MODE = 12


def test_no_write_endpoint_answers_5xx_to_generated_input(gateway, caplog):
    """Broke: bad input (NUL characters, deep JSON, huge numbers) gave 500s. Checks:
    schemathesis generates bodies and path parameters that fit the schema and ones
    that do not, for every POST and PUT of /api/openapi.json, sent with a
    supervisor's token; no answer is a 5xx, every error has the documented shape,
    and no traceback is logged. Bounded in examples (its time is not asserted: speed belongs to make bench)."""
    document = requests.get(f"{gateway}/api/openapi.json").json()
    schema = schemathesis.openapi.from_dict(document)
    token = requests.post(f"{gateway}/api/auth/login",
                          json={"username": "admin", "password": TEST_PASSWORD}).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    writes = [op for op in operations if op.method.upper() in ("POST", "PUT")]
    assert len(writes) >= 15, [op.label for op in writes]
    failures = []

    for operation in writes:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @settings(max_examples=EXAMPLES_PER_MODE, deadline=None, database=None, derandomize=True,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def fuzz(case):
                response = case.call(base_url=gateway, headers=headers, timeout=15)
                if response.status_code >= 500:
                    failures.append((operation.label, mode.value, response.status_code, response.text[:200],
                                     case.path_parameters, case.body))
                elif response.status_code >= 400:
                    error = response.json()["error"]
                    assert set(error) == {"code", "message", "fields", "details"}, (operation.label, error)
                    # every bad field has its message in both languages (issue 11)
                    assert [d["field"] for d in error["details"]] == list(error["fields"]), error
                    assert all(d["id"] and d["en"] for d in error["details"]), error

            fuzz()

    assert not failures, failures[:5]
    leaked = [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
    assert not leaked, [r.getMessage()[:200] for r in leaked]
