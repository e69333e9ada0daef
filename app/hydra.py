"""Hydra's admin API: the UI's login, consent and logout calls go through here, beside
app/kratos.py and with its transport (`OryAdmin`: ory-client, no retries, a timeout per call)."""

from __future__ import annotations

from typing import Any

from .kratos import Answer, OryAdmin, probe


class HydraClient:
    def __init__(self, admin_url: str, timeout: float):
        self.admin_url = admin_url.rstrip("/")
        self.timeout = timeout
        self.admin_api = OryAdmin("hydra", admin_url, timeout)

    def admin(self, method: str, *args: Any, **kwargs: Any) -> Answer:
        """An OAuth2Api call, e.g. admin("get_o_auth2_consent_request", challenge)."""
        return self.admin_api.call("OAuth2Api", method, *args, **kwargs)

    def ready_status(self) -> int:
        return probe(self.admin_url + "/health/ready", self.timeout)
