"""Hydra's admin API: the UI's login, consent and logout calls go through here, beside
app/kratos.py and with its transport (`OryAdmin`: ory-client, no retries, a timeout per call within the
request's deadline)."""

from __future__ import annotations

from typing import Any

from .kratos import Answer, OryAdmin, RequestScope, probe


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

    # -- consent and logout (the models stay in this module) -------------------

    def get_consent(self, challenge: str, for_request: RequestScope | None = None) -> Answer:
        return self.admin("get_o_auth2_consent_request", challenge, for_request=for_request)

    def accept_consent(
        self,
        challenge: str,
        *,
        grant_scope: list[str],
        audience: list[str],
        remember: bool,
        remember_for: int,
        id_token: dict[str, Any],
        access_token: dict[str, Any],
        for_request: RequestScope | None = None,
    ) -> Answer:
        import ory_client

        body = ory_client.AcceptOAuth2ConsentRequest(
            grant_scope=grant_scope,
            grant_access_token_audience=audience,
            remember=remember,
            remember_for=remember_for,
            session=ory_client.AcceptOAuth2ConsentRequestSession(id_token=id_token, access_token=access_token),
        )
        return self.admin(
            "accept_o_auth2_consent_request", challenge, accept_o_auth2_consent_request=body, for_request=for_request
        )

    def reject_consent(
        self, challenge: str, error: str, description: str, for_request: RequestScope | None = None
    ) -> Answer:
        import ory_client

        body = ory_client.RejectOAuth2Request(error=error, error_description=description, status_code=403)
        return self.admin(
            "reject_o_auth2_consent_request", challenge, reject_o_auth2_request=body, for_request=for_request
        )

    def accept_login(
        self,
        challenge: str,
        *,
        subject: str,
        session_id: str,
        amr: list[str],
        remember_for: int,
        for_request: RequestScope | None = None,
    ) -> Answer:
        """What Kratos's own login hook sends Hydra (kratos hydra.AcceptLoginRequest)."""
        import ory_client

        body = ory_client.AcceptOAuth2LoginRequest(
            subject=subject, identity_provider_session_id=session_id, amr=amr, remember=True, remember_for=remember_for
        )
        return self.admin(
            "accept_o_auth2_login_request", challenge, accept_o_auth2_login_request=body, for_request=for_request
        )

    def get_logout(self, challenge: str, for_request: RequestScope | None = None) -> Answer:
        return self.admin("get_o_auth2_logout_request", challenge, for_request=for_request)

    def accept_logout(self, challenge: str, for_request: RequestScope | None = None) -> Answer:
        return self.admin("accept_o_auth2_logout_request", challenge, for_request=for_request)

    def reject_logout(self, challenge: str, for_request: RequestScope | None = None) -> Answer:
        return self.admin("reject_o_auth2_logout_request", challenge, for_request=for_request)
