"""Seeded clients, API keys and templates of the reference server."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

CLIENT_A_ID = "3f6b2a1e-8c4d-4e7f-9a0b-1c2d3e4f5a6b"
CLIENT_B_ID = "b5c6d7e8-f9a0-4b1c-8d2e-3f4a5b6c7d8e"

# Fixed ids keep template campaigns reproducible between runs.
_TRANSFER_CONFIG_ID = "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f"
_ROUTING_CONFIG_ID = "d2e3f4a5-b6c7-4d8e-9f0a-1b2c3d4e5f60"
_APPOINTMENT_CONFIG_ID = "e3f4a5b6-c7d8-4e9f-8a1b-2c3d4e5f6071"
_CALL_FORM_ID = "f4a5b6c7-d8e9-4f0a-9b2c-3d4e5f607182"
_GROUP_ID = "a5b6c7d8-e9f0-4a1b-8c3d-4e5f60718293"
_USER_ID = "0a1b2c3d-4e5f-4071-8293-a4b5c6d7e8f9"
_STAMP = "2025-03-14T09:26:53Z"
_STAMP_OFFSET = "2025-03-15T10:00:00+01:00"


@dataclass(frozen=True)
class Settings:
    key: str = "cc_ref_client_a"
    forbidden_key: str = "cc_ref_readonly_a"
    other_key: str = "cc_ref_client_b"
    template_id: str = "7d9c1f4e-2b3a-4c5d-8e6f-1a2b3c4d5e6f"
    other_template_id: str = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"

    @classmethod
    def defaults(cls) -> Settings:
        return cls()

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """REFSERVER_KEY, REFSERVER_FORBIDDEN_KEY, ... over the defaults."""
        d = cls()
        return cls(
            key=env.get("REFSERVER_KEY", d.key),
            forbidden_key=env.get("REFSERVER_FORBIDDEN_KEY", d.forbidden_key),
            other_key=env.get("REFSERVER_OTHER_KEY", d.other_key),
            template_id=env.get("REFSERVER_TEMPLATE_ID", d.template_id),
            other_template_id=env.get("REFSERVER_OTHER_TEMPLATE_ID", d.other_template_id),
        )


def settings() -> Settings:
    """The keys of the app serving this request."""
    from .config import current

    return current().keys


@dataclass(frozen=True)
class Client:
    id: str
    sms_company_name: str | None


@dataclass(frozen=True)
class Principal:
    client: Client
    can_create: bool


@dataclass(frozen=True)
class Template:
    id: str
    client_id: str
    name: str
    full_configs: bool


CLIENT_A = Client(CLIENT_A_ID, "Acme Dental")
CLIENT_B = Client(CLIENT_B_ID, None)


def principals() -> dict[str, Principal]:
    s = settings()
    return {
        s.key: Principal(CLIENT_A, True),
        s.forbidden_key: Principal(CLIENT_A, False),
        s.other_key: Principal(CLIENT_B, True),
    }


def templates() -> dict[str, Template]:
    s = settings()
    return {
        s.template_id: Template(s.template_id, CLIENT_A_ID, "Receptionist template", True),
        s.other_template_id: Template(s.other_template_id, CLIENT_B_ID, "Client B outreach", False),
    }


def _user(n: int) -> dict[str, Any]:
    return {
        "id": f"0a1b2c3d-4e5f-4071-8293-a4b5c6d7e8f{n}",
        "name": f"Agent Number{n}",
        "email": f"agent{n}@acme-dental.example.com",
    }


def _member(n: int, client_id: str, removed: bool) -> dict[str, Any]:
    # One removed member so that every nullable link carries a real value once.
    return {
        "id": f"1b2c3d4e-5f60-4182-93a4-b5c6d7e8f90{n}",
        "createdAt": _STAMP,
        "clientId": client_id,
        "userId": _user(n)["id"],
        "role": "agent",
        "removedAt": _STAMP_OFFSET if removed else None,
        "removedByUserId": _USER_ID if removed else None,
        "removedReason": "left the practice" if removed else None,
        "replacementMemberId": "1b2c3d4e-5f60-4182-93a4-b5c6d7e8f901" if removed else None,
        "filterData": '{"states":["CA","NV"]}' if removed else None,
        "user": _user(n),
    }


def _agent(n: int, client_id: str, group_id: str | None, removed: bool = False) -> dict[str, Any]:
    member = _member(n, client_id, removed)
    return {
        "id": f"2c3d4e5f-6071-4293-a4b5-c6d7e8f9a0b{n}",
        "createdAt": _STAMP,
        "updatedAt": _STAMP_OFFSET,
        "routingConfigId": _ROUTING_CONFIG_ID,
        "memberId": member["id"],
        "groupId": group_id,
        "priority": n,
        "weight": 100 - n,
        "lastCallAt": _STAMP_OFFSET if n == 1 else None,
        "isActive": not removed,
        "skills": "scheduling,billing",
        "member": member,
    }


def _routing_config(client_id: str) -> dict[str, Any]:
    return {
        "id": _ROUTING_CONFIG_ID,
        "createdAt": _STAMP,
        "updatedAt": _STAMP_OFFSET,
        "name": "Front desk",
        "description": "Front desk staff, longest idle first",
        "routingType": "linear",
        "clientId": client_id,
        "fallbackBehavior": "voicemail",
        "fallbackNumber": "+14155550123",
        "maxRingPerAgent": 20,
        "maxWaitTime": 120,
        "tryCustomerAgentFirst": True,
        "tryPreviousSoftphoneAgentFirst": False,
        "customerAgentPriority": 1,
        "previousSoftphoneAgentPriority": 2,
        "stateBasedRouting": False,
        "stateRoutingFallback": "fallback",
        "agents": [_agent(1, client_id, None), _agent(2, client_id, _GROUP_ID, removed=True)],
        "groups": [
            {
                "id": _GROUP_ID,
                "createdAt": _STAMP,
                "updatedAt": _STAMP_OFFSET,
                "routingConfigId": _ROUTING_CONFIG_ID,
                "name": "Hygienists",
                "description": "Hygiene team",
                "routingType": "linear",
                "priority": 1,
                "isActive": True,
                "agents": [_agent(3, client_id, _GROUP_ID)],
            }
        ],
    }


def transfer_config(client_id: str) -> dict[str, Any]:
    return {
        "id": _TRANSFER_CONFIG_ID,
        "createdAt": _STAMP,
        "updatedAt": _STAMP_OFFSET,
        "clientId": client_id,
        "name": "Warm transfer to front desk",
        "routingConfigId": _ROUTING_CONFIG_ID,
        "type": "direct",
        "warmTransfer": True,
        "directPhoneNumber": "+14155550100",
        "dynamicOptions": {
            "pingUrl": "https://hooks.acme-dental.example.com/transfer",
            "method": "GET",
            "timeout": 5000,
            "headers": {"X-Source": "carecycle"},
            "body": {"source": "carecycle"},
            "transferNumberField": "transferNumber",
            "transferNumber": "+14155550101",
            "successConditions": [{"field": "status", "operator": "equals", "value": "ok"}],
        },
        "sipUri": "sip:frontdesk@acme-dental.example.com",
        "sipHeaders": "X-Campaign: receptionist",
        "warmSummaryPrompt": "Summarise the caller's request in one sentence.",
        "warmMode": "wait-for-operator",
        "softphoneFallbackType": "appointment_booking",
        "softphoneHandoffStrategy": "wait-for-operator",
        "softphoneFallbackPhoneNumber": "+14155550102",
        "appointmentBookingEnabled": True,
        "appointmentConfigId": _APPOINTMENT_CONFIG_ID,
        "transferWaitingMessages": ["One moment please.", "Still connecting you."],
        "screenBehavior": "call-form",
        "callFormId": _CALL_FORM_ID,
        "routingConfig": _routing_config(client_id),
        "assignedCampaignCount": 1,
    }


def appointment_config(client_id: str) -> dict[str, Any]:
    return {
        "id": _APPOINTMENT_CONFIG_ID,
        "createdAt": _STAMP,
        "updatedAt": _STAMP_OFFSET,
        "clientId": client_id,
        "name": "New patient visits",
        "description": "45-minute new patient appointments",
        "concurrentLimit": 2,
        "appointmentLength": 45,
        "appointmentSpacing": 15,
        "maxOptions": 3,
        "minDate": "2025-03-17",
        "maxDate": "2025-06-30",
        "minHours": 24,
        "preferredMode": "timezone",
        "appointmentMode": "phone_call",
        "showCallerIdOnBookingPage": False,
        "assignmentMode": "customer_agent",
        "routingConfigId": _ROUTING_CONFIG_ID,
        "transferConfigId": _TRANSFER_CONFIG_ID,
        "workflows": [
            {
                "id": "3d4e5f60-7182-43a4-b5c6-d7e8f9a0b1c2",
                "name": "Day-before reminder",
                "enabled": True,
                "trigger": {"anchor": "event_starts", "offsetMinutes": -1440},
                "condition": {"kind": "appointment_status", "statuses": ["scheduled"]},
                "action": {
                    "type": "sms",
                    "senderId": "AcmeDental",
                    "template": "Reminder: your visit is tomorrow at {{time}}.",
                },
            }
        ],
        "bookingHours": [
            {"startHour": 8, "startMinute": 30, "endHour": 17, "endMinute": 0, "dayOfWeek": [1, 2]},
            {"startHour": 0, "startMinute": 0, "endHour": 24, "endMinute": 0, "dayOfWeek": [6]},
        ],
        "createdBy": _USER_ID,
        "updatedBy": None,
        "assignedCampaignCount": 1,
        "assignedTransferConfigCount": 1,
    }


def call_form_id() -> str:
    return _CALL_FORM_ID
