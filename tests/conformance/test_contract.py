"""Property-based tests from the document (Schemathesis): positive and negative data, every
applicable built-in check, and the semantic checks on every 201."""

from __future__ import annotations

import pytest
import schemathesis

from conformance.api import Api
from conformance.document import request_schema
from conformance.property import load_schema
from conformance.semantic import Observation, now, run_semantic_checks
from conformance.settings import Settings, mark_name

pytestmark = pytest.mark.contract


@pytest.fixture(scope="session")
def api_schema(target: Settings):
    return load_schema(target)


schema = schemathesis.pytest.from_fixture("api_schema")
NAME_MAX = request_schema()["properties"]["name"]["maxLength"]


@pytest.mark.rule("property")
@schema.parametrize()
def test_property(case, api: Api) -> None:
    if isinstance(case.body, dict) and isinstance(case.body.get("name"), str):
        case.body["name"] = mark_name(case.body["name"], api.settings.name_prefix, NAME_MAX)
    sent_at = now()
    # Through the guarded session, so the checks that re-send (ignored_auth...) are paced and
    # counted against the budget like every other request.
    response = case.call_and_validate(session=api.session)
    if response.status_code == 201 and isinstance(case.body, dict):
        obs = Observation(case.body, response.json()["campaign"], "API_KEY", sent_at)
        broken = run_semantic_checks(obs, api.memory)
        assert not broken, "semantic rules broken:\n" + "\n".join(f"[{r}] {p}" for r, p in broken)
