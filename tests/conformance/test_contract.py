"""Property-based tests from the document (Schemathesis): positive and negative data, every
applicable built-in check, and the semantic checks on every 201."""

from __future__ import annotations

import pytest
import schemathesis

from conformance.api import Api
from conformance.property import load_schema
from conformance.semantic import Observation, now, run_semantic_checks
from conformance.settings import Settings

pytestmark = pytest.mark.contract


@pytest.fixture(scope="session")
def api_schema(target: Settings):
    return load_schema(target)


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.mark.rule("property")
@schema.parametrize()
def test_property(case, api: Api) -> None:
    prefix = api.settings.name_prefix
    if (
        isinstance(case.body, dict)
        and isinstance(case.body.get("name"), str)
        and len(case.body["name"]) >= len(prefix)
    ):
        # Mark the campaign as ours without moving the name off its length.
        case.body["name"] = prefix + case.body["name"][len(prefix) :]
    sent_at = now()
    response = case.call(session=api.session)
    case.validate_response(response, headers={"x-api-key": api.settings.api_key})
    if response.status_code == 201 and isinstance(case.body, dict):
        obs = Observation(case.body, response.json()["campaign"], "API_KEY", sent_at)
        broken = run_semantic_checks(obs, api.memory)
        assert not broken, "semantic rules broken:\n" + "\n".join(f"[{r}] {p}" for r, p in broken)
