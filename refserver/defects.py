"""The planted-defect catalogue.

The reference server is correct by default. Starting it with one named defect
makes it break exactly one rule of the contract, so the conformance suite can be
shown to catch that break (and only that break).
"""

from __future__ import annotations

from dataclasses import dataclass

from .config import current


@dataclass(frozen=True)
class Defect:
    name: str
    # The ids of the rules it breaks (openapi/rules.yaml, or request.<field>): the mutation check
    # counts the defect detected only when one of these rules fails.
    rules: tuple[str, ...]
    description: str
    # "conditional": a rule broken only in a combination, for a value shape, or now and then.
    group: str = ""
    # The suite's depth that must catch it: "nightly" for what one request in dozens shows.
    depth: str = "gate"


def _d(name: str, rules: str, description: str, group: str = "", depth: str = "gate") -> Defect:
    return Defect(name, tuple(rules.split()), description, group, depth)


EVERY_NTH = 20  # the intermittent defect: every EVERY_NTH-th 201 of the server's life


CATALOGUE: tuple[Defect, ...] = (
    # Validation of the request body.
    _d("name_empty_accepted", "request.name", "accepts an empty name (minLength 1 ignored)"),
    _d("name_one_rejected", "request.accepted-edges", "rejects a 1-character name"),
    _d("name_256_accepted", "request.name", "accepts a 256-character name"),
    _d("name_255_rejected", "request.accepted-edges", "rejects a 255-character name"),
    _d("name_utf16_length", "request.name", "counts name length in UTF-16 code units"),
    _d("name_null_accepted", "request.name", "accepts name null and echoes null"),
    # The negative property cases leave out the required name (seeded, the same cases wherever
    # the suite runs: conformance/checks/seeding.py), so this also breaks request.invalid-rejected.
    _d(
        "name_missing_accepted",
        "request.name request.invalid-rejected",
        "accepts a body without name (echoes '')",
    ),
    _d("concurrency_zero_accepted", "request.maxConcurrentCalls", "accepts maxConcurrentCalls 0"),
    _d("concurrency_one_rejected", "request.accepted-edges", "rejects maxConcurrentCalls 1"),
    _d(
        "concurrency_above_max_accepted",
        "request.maxConcurrentCalls",
        "accepts maxConcurrentCalls 9007199254740992",
    ),
    _d(
        "concurrency_max_rejected",
        "request.accepted-edges",
        "rejects maxConcurrentCalls 9007199254740991",
    ),
    _d("concurrency_fraction_accepted", "request.maxConcurrentCalls", "accepts 1.5 and echoes 1.5"),
    _d(
        "concurrency_integral_float_rejected",
        "request.accepted-edges",
        "rejects 1.0 as not an integer",
    ),
    _d(
        "concurrency_numeric_string_accepted",
        "request.maxConcurrentCalls",
        'accepts "5" and echoes 5',
    ),
    _d("concurrency_bool_accepted", "request.maxConcurrentCalls", "accepts true and echoes 1"),
    _d("direction_any_accepted", "request.direction", "accepts any string direction and echoes it"),
    _d("direction_null_accepted", "request.direction", "accepts direction null (echoes outbound)"),
    _d(
        "kind_agent_first_rejected",
        "request.accepted-edges request.valid-accepted",
        "rejects kind agent_first",
    ),
    _d("kind_null_accepted", "request.kind", "accepts kind null (echoes voice_ai)"),
    _d(
        "handler_kind_any_accepted",
        "request.primaryHandlerKind",
        "accepts any primaryHandlerKind string",
    ),
    _d(
        "terminal_type_case_insensitive",
        "request.afterHoursTerminalType",
        "accepts afterHoursTerminalType VOICEMAIL and echoes it as sent",
    ),
    _d("description_null_rejected", "request.accepted-edges", "rejects description null"),
    _d(
        "terminal_number_null_rejected",
        "request.accepted-edges",
        "rejects primaryTerminalNumber null",
    ),
    _d(
        "uuid_version9_accepted",
        "request.primaryRoutingConfigId request.afterHoursRoutingConfigId",
        "accepts routing config ids of version 0 or 9",
    ),
    _d(
        "uuid_version8_rejected",
        "request.accepted-edges",
        "rejects routing config ids of version 8",
    ),
    _d(
        "uuid_variant_any_accepted",
        "request.primaryRoutingConfigId request.afterHoursRoutingConfigId",
        "accepts any variant nibble (c..f too)",
    ),
    _d("uuid_nil_rejected", "request.accepted-edges", "rejects the nil UUID"),
    _d("uuid_max_rejected", "request.accepted-edges", "rejects the max UUID"),
    _d("uuid_uppercase_rejected", "request.accepted-edges", "rejects upper-case hex digits"),
    _d(
        "uuid_trailing_newline_accepted",
        "request.primaryRoutingConfigId request.afterHoursRoutingConfigId",
        "checks the pattern with re.match and $, so a trailing newline passes",
    ),
    _d(
        "unknown_property_rejected",
        "body.unknown-properties request.valid-accepted",
        "rejects unknown properties",
    ),
    _d("template_id_format_checked", "template.not-found", "422 for a non-UUID templateId"),
    # Status and shape of the 201.
    _d("created_returns_200", "response.documented", "answers 200 instead of 201"),
    _d("no_campaign_wrapper", "response.documented", "201 body is the campaign, not {campaign}"),
    _d("campaign_missing_features", "response.documented", "campaign lacks features"),
    _d("max_attempts_as_string", "response.documented", 'maxAttempts is the string "3"'),
    _d(
        "broken_booking_hours",
        "response.documented",
        "template campaigns: bookingHours startHour 24",
    ),
    _d(
        "routing_agent_missing_member",
        "response.documented",
        "template campaigns: agents lack member",
    ),
    _d("text_plain_content_type", "response.documented", "201 is sent as text/plain"),
    _d("status_unknown_value", "response.documented", 'status is "new", outside the enum'),
    # Error envelopes.
    _d("validation_code_wrong", "response.error-code", '422 code is "BAD_REQUEST"'),
    _d("validation_errors_empty", "validation.errors response.documented", "422 with errors []"),
    _d("validation_path_generic", "validation.errors", 'error path is ["body"]'),
    _d("validation_path_string", "validation.errors response.documented", "error path is a string"),
    _d("unauthorized_code_wrong", "response.error-code", '401 code is "FORBIDDEN"'),
    _d("not_found_code_wrong", "response.error-code", '404 code is "TEMPLATE_NOT_FOUND"'),
    _d("bad_request_422", "body.not-json", "malformed JSON answered 422"),
    _d("error_content_type_html", "response.documented", "4xx error bodies sent as text/html"),
    _d("json_utf16", "response.utf-8", "every body is UTF-16 with a byte order mark"),
    # What the 201 says about the request.
    _d("name_trimmed", "semantic.echo", "echoed name is stripped of surrounding whitespace"),
    _d("description_dropped", "semantic.echo", "description echoed as null"),
    _d(
        "handler_fields_swapped",
        "semantic.echo",
        "primaryAssistantId and afterHoursAssistantId swapped",
    ),
    _d("terminal_number_not_echoed", "semantic.echo", "primaryTerminalNumber echoed null"),
    _d("concurrency_not_echoed", "semantic.echo", "maxConcurrentCalls echoed null"),
    _d("direction_ignored", "semantic.direction semantic.echo", 'direction is always "outbound"'),
    _d("kind_default_agent_first", "semantic.echo", "omitted kind defaults to agent_first"),
    _d("kind_not_echoed", "semantic.echo", "kind is always voice_ai"),
    _d("template_id_not_echoed", "semantic.echo", "templateId echoed null"),
    _d("status_active", "semantic.draft", 'status is "active"'),
    _d("id_reused", "semantic.id", "every campaign has the same id"),
    _d("timestamps_inverted", "semantic.timestamps", "updatedAt one second before createdAt"),
    _d("timestamps_stale", "semantic.timestamps", "createdAt and updatedAt are in 2019"),
    _d("client_id_random", "semantic.client", "client.id is new on every call"),
    _d("client_id_shared", "semantic.client", "client B's campaigns carry client A's id"),
    _d(
        "template_name_missing",
        "semantic.template-name",
        "templateName null although templateId sent",
    ),
    _d(
        "template_name_without_template",
        "semantic.template-name",
        'templateName "Default" without one',
    ),
    _d("stats_nonzero", "semantic.empty", "customerStats.total is 1"),
    _d("tags_nonempty", "semantic.empty", 'tags is ["new"]'),
    # Authentication and tenancy.
    _d(
        "auth_ignored",
        "auth.unauthorized auth.before-body",
        "missing or bad key proceeds as client A",
    ),
    _d("unknown_key_accepted", "auth.unauthorized", "any unknown cc_ key is accepted as client A"),
    _d(
        "prefix_not_required", "auth.unauthorized", "a known key without its cc_ prefix is accepted"
    ),
    _d("forbidden_ignored", "auth.forbidden", "the read-only key may create campaigns"),
    _d("forbidden_as_401", "auth.forbidden", "the read-only key gets 401 UNAUTHORIZED"),
    _d("cross_tenant_template", "auth.tenant", "another client's template is accepted"),
    _d("validation_before_auth", "auth.before-body", "invalid body without a key gets 422"),
    _d("template_before_validation", "order", "404 is decided before 422"),
    # Robustness.
    _d("malformed_json_500", "robustness.no-5xx", "500 on malformed JSON"),
    _d(
        "big_int_500", "robustness.no-5xx", "500 when maxConcurrentCalls is an integer beyond 2**53"
    ),
    _d("non_bmp_500", "robustness.no-5xx", "500 when name holds a character outside the BMP"),
    _d(
        "wrong_shape_400",
        "body.wrong-shape",
        "JSON of the wrong top-level type (an array, a string...) is answered 400, not 422",
    ),
    _d("top_level_array_500", "robustness.no-5xx", "500 on a top-level array body"),
    _d("empty_body_500", "robustness.no-5xx", "500 on an empty body"),
    _d(
        "stack_trace_500",
        "robustness.no-5xx",
        "500 with a Python traceback in the message for a body nested deeper than 64",
    ),
    _d("plus_json_rejected", "body.not-json", "+json media types answered 400"),
    _d(
        "non_json_content_type_accepted",
        "body.not-json",
        "a text/plain body that parses as JSON is accepted",
    ),
    # Rate limit (observable only with a limit switched on).
    _d("rate_limit_never", "rate.limit", "never limits"),
    _d("rate_limit_off_by_one", "rate.limit", "admits limit+1 requests per window"),
    _d("rate_limit_no_retry_after", "rate.limit", "429 body lacks retryAfter"),
    _d(
        "rate_limit_retry_after_string",
        "rate.limit",
        'retryAfter is a numeric string, e.g. "30"',
    ),
    _d("rate_limit_header_disagrees", "rate.header", "Retry-After = retryAfter + 30"),
    _d("rate_limit_global", "rate.per-key", "one counter shared by all keys"),
    _d("rate_limit_wrong_code", "response.error-code", '429 code is "TOO_MANY_REQUESTS"'),
    _d(
        "content_type_exact_match",
        "body.not-json",
        "only the exact string application/json is JSON: a charset or other case is a 400",
    ),
    _d(
        "key_case_insensitive",
        "auth.unauthorized",
        "keys are compared case-insensitively: CC_... is accepted",
    ),
    _d(
        "free_text_numbers_accepted",
        "request.description request.primaryAssistantId request.afterHoursAssistantId request.primaryTerminalNumber request.afterHoursTerminalNumber",
        "description, assistant ids and terminal numbers accept a number where a string is due",
    ),
    _d(
        "template_id_number_accepted",
        "request.templateId",
        "a numeric templateId is looked up, not a 422",
    ),
    _d(
        "after_hours_handler_kind_any_accepted",
        "request.afterHoursHandlerKind",
        "afterHoursHandlerKind accepts any string",
    ),
    _d(
        "primary_terminal_type_any_accepted",
        "request.primaryTerminalType",
        "primaryTerminalType accepts any string",
    ),
    _d(
        "rate_limit_after_body",
        "order",
        "the body is judged before the limit: a throttled key's bad body gets 400/422, not 429",
    ),
    # Hard values in free-text fields (refserver/storage.py): storage encodings, undocumented
    # limits, filters, normalisation on store; and races under concurrent requests.
    _d("nul_in_text_500", "robustness.no-5xx", "500 when a free-text field holds NUL"),
    _d(
        "description_astral_500",
        "robustness.no-5xx",
        "500 when description holds a character outside the BMP (a 3-byte UTF-8 column)",
    ),
    _d(
        "assistant_id_length_limit",
        "request.valid-accepted",
        "primaryAssistantId longer than 1024 characters is a 422 (an undocumented limit)",
    ),
    _d(
        "blank_assistant_id_rejected",
        "request.valid-accepted",
        "a whitespace-only afterHoursAssistantId (not the empty one) is a 422",
    ),
    _d(
        "markup_rejected",
        "request.valid-accepted",
        "afterHoursTerminalNumber with < > ' or \" is a 422 (a filter)",
    ),
    _d("description_crlf_normalised", "semantic.echo", "CR LF in description stored as LF"),
    _d("name_backslashes_doubled", "semantic.echo", "backslashes in name echoed doubled"),
    _d("assistant_id_nfc_stored", "semantic.echo", "primaryAssistantId NFC-normalised on store"),
    _d(
        "terminal_number_zero_width_stripped",
        "semantic.echo",
        "zero-width and bidi characters stripped from primaryTerminalNumber",
    ),
    _d(
        "empty_terminal_number_null",
        "semantic.echo",
        'an empty primaryTerminalNumber "" is stored as null',
    ),
    _d(
        "terminal_number_formatted",
        "semantic.echo",
        "primaryTerminalNumber +15550100001 stored formatted as +1 555-010-0001",
    ),
    _d("markup_html_escaped", "semantic.echo", "afterHoursTerminalNumber HTML-escaped on store"),
    _d(
        "id_counter_race",
        "semantic.id",
        "ids from a counter read and written without a lock: concurrent creations share one",
    ),
    _d(
        "rate_limit_racy",
        "rate.limit",
        "the rate-limit count is read and written without a lock: a concurrent burst gets through",
    ),
    # Conditional: only in a combination of inputs, for one value shape at an edge, or on
    # one request in dozens. Each is invisible to a suite that varies one thing at a time.
    _d(
        "template_kind_fills_omitted",
        "semantic.echo",
        "alongside a template, an omitted kind is the template's agent_first (not voice_ai)",
        "conditional",
    ),
    _d(
        "template_handlers_dropped",
        "semantic.echo",
        "alongside a template, the handler fields sent are echoed null",
        "conditional",
    ),
    _d(
        "name_nfd_length",
        "request.accepted-edges request.name",
        "name length counted after NFD decomposition: a 2-byte (é) name at 255 is rejected",
        "conditional",
    ),
    _d(
        "name_inner_spaces_collapsed",
        "semantic.echo",
        "runs of inner whitespace in the echoed name are collapsed to one space",
        "conditional",
    ),
    _d(
        "name_nfc_echoed",
        "semantic.echo",
        "the echoed name is NFC-normalised (e + U+0301 comes back as é)",
        "conditional",
    ),
    _d(
        "status_wrong_every_20th",
        "semantic.draft",
        f"every {EVERY_NTH}th 201 has status active",
        "conditional",
        "nightly",
    ),
)

NAMES: frozenset[str] = frozenset(d.name for d in CATALOGUE)


class UnknownDefectError(ValueError):
    pass


def check_name(name: str | None) -> None:
    if name and name not in NAMES:
        raise UnknownDefectError(name)


def active(name: str) -> bool:
    # A misspelt name at a call site would silently never fire; fail loudly.
    if name not in NAMES:
        raise UnknownDefectError(name)
    return current().defect == name
