"""A server's defect, variant, keys and counts are its app's state: one process serves several
apps at once, on either stack, each answering as its own configuration says."""

from __future__ import annotations

import httpx
import pytest

from refserver.app import RefApp
from refserver.config import ServerConfig
from refserver.hosting import in_thread
from refserver.seed import Settings

KEYS_A = Settings(key="cc_host_a_1")
KEYS_B = Settings(key="cc_host_b_2")


def _create(url: str, key: str, name: str) -> httpx.Response:
    return httpx.post(url + "/v2/campaigns", json={"name": name}, headers={"x-api-key": key})


@pytest.mark.parametrize("stack", ["uvicorn", "stdlib"])
def test_one_process_serves_apps_with_their_own_defect_and_keys(stack: str) -> None:
    trimmed = RefApp(ServerConfig(defect="name_trimmed", keys=KEYS_A))
    clean = RefApp(ServerConfig(variant="content_type_charset", keys=KEYS_B))
    with in_thread(trimmed, stack) as url_a, in_thread(clean, stack) as url_b:
        a = _create(url_a, KEYS_A.key, "  spaced  ")
        b = _create(url_b, KEYS_B.key, "  spaced  ")
        assert _create(url_a, KEYS_B.key, "x").status_code == 401  # B's key is not A's
    assert a.status_code == b.status_code == 201
    assert a.json()["campaign"]["name"] == "spaced"  # A's planted defect
    assert b.json()["campaign"]["name"] == "  spaced  "  # B is conforming
    assert a.headers["content-type"] == "application/json"
    assert b.headers["content-type"] == "application/json; charset=utf-8"  # B's variant
    assert trimmed.server_state.answered["POST"] == 2 and clean.server_state.answered["POST"] == 1
    assert trimmed.server_state.succeeded["POST"] == 1


def test_a_defect_and_a_variant_together_are_refused() -> None:
    with pytest.raises(ValueError, match="choose one"):
        RefApp(ServerConfig(defect="name_trimmed", variant="keys_sorted"))
