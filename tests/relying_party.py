"""An OAuth2 relying party for the tests: authorization code with PKCE against the real Hydra.

The callback is never served: a browser without JavaScript stops at the redirect to it and
the test reads the code from the Location header, as an app's callback would.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
from ada_url import URL

from demo_app import claims_of, pkce_pair  # noqa: F401 (claims_of: for the tests)
from formclient import FormClient, Page

CALLBACK = "http://127.0.0.1:9/callback"


@dataclass
class Arrival:
    """Where a browser ended: a page of ours (or Hydra's), or the app's callback with its query."""

    page: Page | None = None
    callback: dict = field(default_factory=dict)


@dataclass
class RelyingParty:
    hydra_public_url: str
    client: dict
    redirect_uri: str = CALLBACK
    state: str = ""
    verifier: str = ""

    def authorize_url(self, scope: str = "openid offline_access email", **extra) -> str:
        self.state = secrets.token_urlsafe(16)
        self.verifier, challenge = pkce_pair()
        query = {
            "client_id": self.client["client_id"],
            "response_type": "code",
            "scope": scope,
            "redirect_uri": self.redirect_uri,
            "state": self.state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            **extra,
        }
        return f"{self.hydra_public_url}/oauth2/auth?{urlencode(query)}"

    def exchange(self, code: str) -> dict:
        answer = requests.post(
            self.hydra_public_url + "/oauth2/token",
            timeout=10,
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.redirect_uri,
                "code_verifier": self.verifier,
            },
            auth=self.credentials,
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    def refresh(self, refresh_token: str) -> requests.Response:
        return requests.post(
            self.hydra_public_url + "/oauth2/token",
            timeout=10,
            data={"grant_type": "refresh_token", "refresh_token": refresh_token},
            auth=self.credentials,
        )

    @property
    def credentials(self) -> tuple[str, str]:
        """client_secret_basic, Hydra's default token endpoint authentication."""
        return self.client["client_id"], self.client["client_secret"]

    def userinfo(self, access_token: str) -> dict:
        answer = requests.get(
            self.hydra_public_url + "/userinfo", timeout=10, headers={"Authorization": f"Bearer {access_token}"}
        )
        assert answer.status_code == 200, answer.text
        return answer.json()


def follow(client: FormClient, method: str, url: str, redirect_uri: str = CALLBACK, **kwargs) -> Arrival:
    """Send a request and follow redirects as a browser would, stopping at the app's callback."""
    for _ in range(20):
        if url.startswith(redirect_uri):
            return Arrival(callback={k: v[0] for k, v in parse_qs(urlsplit(url).query).items()})
        resp = client.http.request(method, url, allow_redirects=False, timeout=30, **kwargs)
        if resp.status_code not in (301, 302, 303, 307, 308):
            return Arrival(page=Page(client, resp))
        url, method, kwargs = URL(resp.headers["Location"], base=url).href, "GET", {}
    raise AssertionError("too many redirects")


def submit(
    page: Page,
    values: dict | None = None,
    button: str | None = None,
    redirect_uri: str = CALLBACK,
    form_id: str | None = None,
) -> Arrival:
    """Press `button` on `page` (see formclient.Page.submit), following redirects up to the callback."""
    method, target, data = page.submission(values, button, form_id)
    return follow(page.client, method, target, redirect_uri, data=data)
