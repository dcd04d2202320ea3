"""The contract's rules, quoted, by id: failure messages and the per-rule report cite them."""

from __future__ import annotations

RULES: dict[str, str] = {
    "auth.unauthorized": "Missing key, a key without the `cc_` prefix, or an unknown key: "
    "`401`, code `UNAUTHORIZED`.",
    "auth.forbidden": "A known key that lacks permission to create campaigns: `403`, code `FORBIDDEN`.",
    "auth.before-body": "Authentication is decided before the body is looked at: an "
    "unauthenticated request with an invalid body gets `401`, never `422`.",
    "auth.tenant": "`templateId` names no template of the caller's client: `404`, code `NOT_FOUND` "
    "(another client's template is off limits).",
    "order": "Order of decisions: 401, then 403, then 429, then 400, then 422, then 404.",
    "body.not-json": "A body sent without `Content-Type: application/json` (a `+json` suffix type "
    "counts as JSON), an empty body, or one that is not parseable JSON is a 400 with any "
    "non-empty `code`.",
    "body.wrong-shape": "422: JSON that breaks a rule of the request table (wrong top-level type "
    "included).",
    "body.unknown-properties": "Only `name` is required. Properties not listed are ignored (not an error).",
    "template.not-found": "`templateId` has no format: any string that names none of the caller's "
    "templates is a 404, not a 422.",
    "validation.errors": "A 422 lists at least one error, and for a body with a single broken field, "
    "an error whose `path` starts with that field.",
    "response.documented": "Every response is `application/json`. No other status is part of the "
    "contract; each body matches the schema the document declares for its status.",
    "response.error-code": "Error bodies carry the code of their status: 401 `UNAUTHORIZED`, "
    "403 `FORBIDDEN`, 404 `NOT_FOUND`, 422 `VALIDATION_ERROR`, 429 `RATE_LIMIT_EXCEEDED`, "
    "500 `INTERNAL_ERROR`, 400 any non-empty code.",
    "robustness.no-5xx": "A client's input never causes a server fault: what is not JSON is a 400, "
    "JSON of the wrong shape or out of range a 422; no 5xx body carries a stack trace or internals.",
    "rate.limit": "60 requests per minute per API key; over the limit: `429`, body `{message, code: "
    "RATE_LIMIT_EXCEEDED, retryAfter}`, `retryAfter` = whole seconds to wait (integer >= 0).",
    "rate.header": "A `Retry-After` header, when sent, is in seconds and must agree with `retryAfter`.",
    "rate.per-key": "The limit is per key, so one key's burst never throttles another key.",
    "semantic.draft": "`status` is `draft`.",
    "semantic.id": "`id` is a UUID, new on every call.",
    "semantic.echo": "`name`, `description`, `templateId`, `maxConcurrentCalls`, `direction` (when "
    "sent), `kind`, and the ten handler fields equal what was sent (`null` when omitted or sent as "
    "null; `kind` is `voice_ai` when omitted). Exact, no trimming.",
    "semantic.direction": "When `direction` is omitted the server chooses: the response holds one "
    "of the two values.",
    "semantic.template-name": "`templateName` is a non-empty string when `templateId` was sent, "
    "`null` otherwise.",
    "semantic.timestamps": "`createdAt <= updatedAt`; both within 5 minutes of the client's clock.",
    "semantic.client": "`client.id` is the same for every campaign created with the same key, and "
    "differs between keys of different clients.",
    "semantic.empty": "A new campaign has `customerStats` all zero, `tags == []`.",
    "request.accepted-edges": "Each field's values on the edge of its rule are accepted: `201`, "
    "and the campaign echoes them.",
    "property": "Schemathesis property-based checks on the document: status codes, content type, "
    "response schemas, negative data rejected, positive data accepted, auth enforced, no 5xx.",
}


def request_rule(field: str) -> str:
    """Rule id of one row of the request table; its text is the document's own description."""
    return f"request.{field}"
