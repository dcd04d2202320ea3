"""Builds the Campaign object returned by a successful create."""

from __future__ import annotations

import re
import unicodedata
import uuid
from datetime import datetime
from typing import Any

from . import config, formats, seed, storage, variants
from .contract import echoed_fields
from .defects import EVERY_NTH, active

# The echoed fields are a contract fact shared with the suite (openapi/rules.yaml).
HANDLER_FIELDS = tuple(f for f in echoed_fields() if f.startswith(("primary", "afterHours")))
_REUSED_ID = "5a0f3c2e-9d8b-4a7c-8e6f-5d4c3b2a1908"
_STALE = "2019-08-24T14:15:22Z"
# A template's own settings, for the choices a template may make (and the defects that misuse
# them): its kind, and the direction it suggests.
TEMPLATE_KIND, TEMPLATE_DIRECTION = "agent_first", "inbound"
_STATUS_COUNTS = (
    "expired",
    "failed",
    "pending",
    "completed",
    "exceeded_max_calls",
    "in_progress",
    "cancelled",
    "skipped",
)


def _echo_concurrency(value: Any) -> Any:
    if value is None:
        return None
    # Strings and fractions only get this far under their planted defects.
    if isinstance(value, str):
        return int(value)
    if isinstance(value, float) and not value.is_integer():
        return value
    return int(value)


def _direction(body: dict[str, Any], template: seed.Template | None) -> str:
    # The vendor documents no default; this server picks outbound (a variant, inbound; another
    # variant, the template's).
    value = body.get("direction")
    if active("direction_ignored"):
        return "outbound"
    if value is None and template is not None and variants.active("template_direction_if_omitted"):
        return TEMPLATE_DIRECTION
    if value is None:
        return "inbound" if variants.active("direction_default_inbound") else "outbound"
    return str(value)


def _kind(body: dict[str, Any], template: seed.Template | None) -> str:
    if active("kind_not_echoed"):
        return "voice_ai"
    if "kind" not in body and template is not None and active("template_kind_fills_omitted"):
        return TEMPLATE_KIND
    if "kind" not in body:
        return "agent_first" if active("kind_default_agent_first") else "voice_ai"
    return body["kind"] or "voice_ai"


def _handlers(body: dict[str, Any], template: seed.Template | None) -> dict[str, Any]:
    if template is not None and active("template_handlers_dropped"):
        return dict.fromkeys(HANDLER_FIELDS)
    out = {field: body.get(field) for field in HANDLER_FIELDS}
    if active("handler_fields_swapped"):
        out["primaryAssistantId"], out["afterHoursAssistantId"] = (
            out["afterHoursAssistantId"],
            out["primaryAssistantId"],
        )
    if active("terminal_number_not_echoed"):
        out["primaryTerminalNumber"] = None
    return out


def _template_name(template: seed.Template | None) -> str | None:
    if template is None:
        return "Default" if active("template_name_without_template") else None
    return None if active("template_name_missing") else template.name


def _client(principal: seed.Principal) -> dict[str, Any]:
    client = principal.client
    client_id = client.id
    if active("client_id_random"):
        client_id = str(uuid.uuid4())
    elif active("client_id_shared"):
        client_id = seed.CLIENT_A_ID
    return {"id": client_id, "smsCompanyName": client.sms_company_name}


def _configs(template: seed.Template | None, client_id: str) -> dict[str, Any]:
    if template is None or not template.full_configs:
        return {"transferConfig": None, "callFormId": None, "appointmentConfig": None}
    transfer = seed.transfer_config(client_id)
    appointment = seed.appointment_config(client_id)
    if active("broken_booking_hours"):
        appointment["bookingHours"][0]["startHour"] = 24
    if active("routing_agent_missing_member"):
        routing = transfer["routingConfig"]
        for agent in [*routing["agents"], *(a for g in routing["groups"] for a in g["agents"])]:
            del agent["member"]
    return {
        "transferConfig": transfer,
        "callFormId": seed.call_form_id(),
        "appointmentConfig": appointment,
    }


def build(
    body: dict[str, Any],
    principal: seed.Principal,
    template: seed.Template | None,
    now: datetime | None = None,
    campaign_id: str = "",
) -> dict[str, Any]:
    """The new draft campaign for a validated body (`campaign_id`: one made elsewhere)."""
    stamp = formats.now_ns() if now is None else int(now.timestamp() * 1e9)
    created = updated = formats.rfc3339(stamp)
    if active("timestamps_inverted"):
        updated = formats.rfc3339(stamp - 1_000_000_000)
    elif variants.active("updated_at_later"):
        updated = formats.rfc3339(stamp + 1_000_000)
    elif active("timestamps_stale"):
        created = updated = _STALE
    name = body.get("name", "")
    if active("name_trimmed") and isinstance(name, str):
        name = name.strip()
    elif active("name_inner_spaces_collapsed") and isinstance(name, str):
        name = re.sub(r"(?<=\S)\s{2,}(?=\S)", " ", name)
    elif active("name_nfc_echoed") and isinstance(name, str):
        name = unicodedata.normalize("NFC", name)
    status = "draft"
    nth = next(config.state().created)  # this app's 201s so far (atomic under the GIL)
    if active("status_active") or (active("status_wrong_every_20th") and nth % EVERY_NTH == 0):
        status = "active"
    elif active("status_unknown_value"):
        status = "new"
    client = _client(principal)
    configs = _configs(template, principal.client.id)
    campaign: dict[str, Any] = {
        "id": _REUSED_ID if active("id_reused") else campaign_id or formats.campaign_id(),
        "createdAt": created,
        "updatedAt": updated,
        "startDate": None,
        "endDate": None,
        "dialAfterhours": False,
        "name": name,
        "templateId": None if active("template_id_not_echoed") else body.get("templateId"),
        "templateName": _template_name(template),
        "lastModifiedByName": None,
        "lastModifiedByIsStaff": False,
        "description": None if active("description_dropped") else body.get("description"),
        "tags": ["new"] if active("tags_nonempty") else [],
        "status": status,
        "direction": _direction(body, template),
        "pulseWorkflowId": None,
        "maxConcurrentCalls": None
        if active("concurrency_not_echoed")
        else _echo_concurrency(body.get("maxConcurrentCalls")),
        "suite": "receptionist" if configs["transferConfig"] else None,
        "kind": _kind(body, template),
        "behaviorsEngineEnabled": False,
        **_handlers(body, template),
        "maxAttempts": "3" if active("max_attempts_as_string") else 3,
        "smsCompanyName": principal.client.sms_company_name,
        "requiredVars": [],
        "client": client,
        "hasInquiryCallback": False,
        "customerStats": {
            "total": 1 if active("stats_nonzero") else 0,
            "totalCalls": 0,
            "todayCalls": 0,
            "todayConnectRate": 0,
            "todayDurationMs": 0,
            "statusCounts": dict.fromkeys(_STATUS_COUNTS, 0),
        },
        "features": {
            "transfers": configs["transferConfig"] is not None,
            "appointments": configs["appointmentConfig"] is not None,
            "inquiries": False,
            "checkPlan": False,
        },
        "transferConfig": configs["transferConfig"],
        "transferConfigIds": [configs["transferConfig"]["id"]] if configs["transferConfig"] else [],
        "callFormId": configs["callFormId"],
        "appointmentConfig": configs["appointmentConfig"],
        "campaignAutomations": [],
    }
    for field in echoed_fields():
        # A field the contract echoes and this builder does not know yet is echoed as sent.
        campaign.setdefault(field, body.get(field))
    for field in storage.FREE_TEXT:
        campaign[field] = storage.stored(field, campaign[field])
    if active("campaign_missing_features"):
        del campaign["features"]
    return campaign
