"""The OpenAPI 3.1 document is valid, generated from the views' models, and true:
schemathesis calls every documented operation and checks each answer against it."""

from __future__ import annotations

import os
import re
import time

import jsonschema_rs
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from schemathesis.specs.openapi.definitions import OPENAPI_31

from clickpro.blueprints.api.registry import OPERATIONS
from clickpro.blueprints.api.schemas import ContactIn

STATUSES: dict = {}
MAX_EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "6"))


@pytest.fixture
def document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    return response.get_json()


def test_document_is_valid_openapi_3_1(document):
    assert document["openapi"] == "3.1.0"
    jsonschema_rs.validator_for(OPENAPI_31).validate(document)
    schemathesis.openapi.from_dict(document).validate()
    broken = {**document, "paths": {"/x": {"get": {"responses": "nope"}}}}
    with pytest.raises(jsonschema_rs.ValidationError):
        jsonschema_rs.validator_for(OPENAPI_31).validate(broken)


def test_document_is_generated_from_the_registry_and_models(document):
    documented = {
        (path, method) for path, methods in document["paths"].items() for method in methods
    }
    assert len(documented) == len(OPERATIONS) >= 40
    contacts = document["paths"]["/api/v1/contacts"]
    assert contacts["post"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ContactIn"
    }
    expected = ContactIn.model_json_schema(ref_template="#/components/schemas/{model}")
    assert document["components"]["schemas"]["ContactIn"]["properties"] == expected["properties"]
    campaign = document["components"]["schemas"]["CampaignIn"]
    assert {"name", "template_id", "list_ids", "rate_mps", "variables"} <= set(
        campaign["properties"]
    )
    errors = contacts["get"]["responses"]["401"]["content"]["application/json"]["schema"]
    assert errors == {"$ref": "#/components/schemas/ErrorResponse"}
    assert "Idempotency-Key" in {p["name"] for p in contacts["post"]["parameters"]}


def test_docs_page_lists_every_operation_without_cdn(client):
    html = client.get("/api/v1/docs").get_data(as_text=True)
    for op in OPERATIONS:
        assert f'id="{op.endpoint}"' in html
    assert not re.search(r'(src|href)="(https?:)?//', html), "external asset in the docs page"
    assert "/static/" in html


def test_every_operation_answers_as_documented(app, wired, api, create_contact, create_list):
    """Bounded fuzzing: no 5xx and no answer outside the documented schema."""
    app.config.update(API_RATE_PER_S=0)
    contact = create_contact(wired.tenant, "+5511987659001", name="Fuzz")
    create_list(wired.tenant, "Fuzz", contacts=[contact])
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {api.token}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == len(OPERATIONS)
    operations.sort(key=lambda op: op.method.upper() == "DELETE")  # deletions last
    started = time.monotonic()
    calls = 0

    def check(operation, strategy, examples: int) -> None:
        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def run(case):
            nonlocal calls
            calls += 1
            response = case.call(headers=headers)
            STATUSES.setdefault(operation.label, []).append(response.status_code)
            case.validate_response(
                response, checks=[not_a_server_error, response_schema_conformance]
            )

        run()

    for operation in operations:
        # The documented examples first (they reach the success paths), then fuzzing.
        for strategy in schema.get_strategies_from_examples(operation):
            check(operation, strategy, 1)
        check(operation, operation.as_strategy(), MAX_EXAMPLES)
    assert calls >= len(operations)
    reached = [label for label, codes in STATUSES.items() if any(c < 300 for c in codes)]
    assert len(reached) >= 25, f"only {len(reached)} operations reached a success answer"
    assert time.monotonic() - started < 120
