"""What the contract says a request must get, read from the request alone: the order of
decisions (401, then 403, then 429, then 400, then 422, then 404) applied to its key, its
media type, its body and its template. A live run knows what each of its cases expects; for
recorded traffic this is that knowledge."""

from __future__ import annotations

from conformance.checks.context import NOT_JSON, UNKNOWN_KEY, Expectation, Sent
from conformance.contract.document import request_validator, target_operation
from conformance.wire.semantics import counts_as_json

THROTTLED = 429


def expectation(sent: Sent, raw_body: bytes | None, template_id: str | None) -> Expectation:
    """The statuses the contract allows this request, and the rule that says so. An
    authenticated request may always be throttled (429): the rate limit is judged apart."""
    refused = _refusal(sent, raw_body)  # what the body alone would get
    if sent.key in (None, UNKNOWN_KEY):
        return Expectation.of(401, "auth.before-body" if refused else "auth.unauthorized")
    if sent.key == "FORBIDDEN_API_KEY":
        return Expectation.of({403, THROTTLED}, "order" if refused else "auth.forbidden")
    if refused is not None:
        return refused
    template = sent.fields.get("templateId")
    created = target_operation().success
    if template is not None:
        if template_id is None:
            return Expectation.of({created, 404, THROTTLED}, "request.valid-accepted")
        if template != template_id:
            return Expectation.of({404, THROTTLED}, "template.not-found")
        if sent.key == "OTHER_API_KEY":
            return Expectation.of({404, THROTTLED}, "auth.tenant")
    return Expectation.of({created, THROTTLED}, "request.valid-accepted")


def _refusal(sent: Sent, raw_body: bytes | None) -> Expectation | None:
    """The 400 or 422 the body would get were the request authenticated; None for a valid one."""
    if not counts_as_json(sent.content_type) or not raw_body or sent.body is NOT_JSON:
        return Expectation.of({400, THROTTLED}, "body.not-json")
    if not isinstance(sent.body, dict):
        return Expectation.of({422, THROTTLED}, "body.wrong-shape")
    errors = list(request_validator().iter_errors(sent.body))
    if not errors:
        return None
    fields = {str(e.absolute_path[0]) for e in errors if e.absolute_path}
    if not fields and any(e.validator == "required" for e in errors):
        fields = {"name"}
    broken = next(iter(fields)) if len(fields) == 1 else None
    # The general rule: which row of the request table a body breaks is the live run's own
    # knowledge (a HAR the suite wrote says it, `_expect`).
    return Expectation.of({422, THROTTLED}, "request.invalid-rejected", broken=broken)
