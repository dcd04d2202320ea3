"""Schemathesis on the document: the configuration of the property-based part of the run."""

from __future__ import annotations

from typing import Any

import schemathesis
from schemathesis.config import SchemathesisConfig

from conformance.settings import DOCUMENT, Settings

# Built-in checks that apply to one JSON operation; the others need more operations.
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "missing_required_header",
    "ignored_auth",
)


def load_schema(settings: Settings) -> Any:
    """The document as Schemathesis sees it, aimed at the target, seeded."""
    config = SchemathesisConfig.from_dict(
        {
            "seed": settings.seed,
            "base-url": settings.base_url,
            "headers": {"x-api-key": settings.api_key},
            "generation": {
                "mode": "all",
                "max-examples": settings.examples,
                "deterministic": settings.derandomize,
                "database": "none",  # nothing from a run, keys included, is kept on disk
            },
            "phases": {"stateful": {"enabled": False}},
            "checks": {name: {"enabled": True} for name in CHECKS}
            | {
                # A 201 answers a valid body; the contract also allows 404 (unknown template).
                "positive_data_acceptance": {"enabled": True, "expected-statuses": [201, 404]},
                # Invalid bodies are 400/422; a mangled key is rightly a 401 or 403 first.
                "negative_data_rejection": {
                    "enabled": True,
                    "expected-statuses": [400, 401, 403, 422],
                },
            },
        }
    )
    return schemathesis.openapi.from_path(DOCUMENT, config=config)
