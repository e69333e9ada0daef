"""A tiny OAuth2 relying party (dev tooling, not product): `make dev` serves it on 127.0.0.1:4446
as the demo client's app, and the browser tests use it. It signs in through Hydra with the
authorization code flow and PKCE, exchanges the code, and shows the id_token's claims.

The claims are read from the token endpoint's answer over a direct connection to Hydra, so
this demo does not verify the id_token's signature; a real app must (with Hydra's JWKS).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode
from wsgiref.simple_server import WSGIRequestHandler, make_server

import requests

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1>{body}</body></html>"""


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args) -> None:
        pass


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, its S256 code_challenge)."""
    verifier = secrets.token_urlsafe(48)
    return verifier, base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def claims_of(jwt: str) -> dict:
    """A JWT's payload, unverified (see the module's note)."""
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


@dataclass
class DemoApp:
    hydra_public_url: str
    client_id: str
    client_secret: str
    port: int = 4446
    scope: str = "openid offline_access email"
    # state -> PKCE verifier of sign-ins under way (one process, development only)
    pending: dict = field(default_factory=dict)
    server: object = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def redirect_uri(self) -> str:
        return self.url + "/callback"

    def authorize_url(self) -> str:
        state = secrets.token_urlsafe(16)
        self.pending[state], challenge = pkce_pair()
        return f"{self.hydra_public_url}/oauth2/auth?" + urlencode(
            {
                "client_id": self.client_id,
                "response_type": "code",
                "scope": self.scope,
                "redirect_uri": self.redirect_uri,
                "state": state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        if path == "/":
            return self._page(
                start_response,
                "Demo app",
                "<p>This app has no accounts of its own.</p>"
                '<p><a id="sign-in" href="/login">Sign in with your account</a></p>',
            )
        if path == "/login":
            start_response("302 Found", [("Location", self.authorize_url())])
            return [b""]
        if path == "/callback":
            return self._callback(start_response, query)
        return self._page(start_response, "Not found", "", "404 Not Found")

    def _callback(self, start_response, query: dict):
        verifier = self.pending.pop(query.get("state", ""), None)
        if verifier is None:
            return self._page(start_response, "Sign-in failed", "<p>Unknown or reused state.</p>", "400 Bad Request")
        if "error" in query:
            return self._page(
                start_response,
                "No access",
                f"<p>The app did not get access: "
                f'<code id="error">{html.escape(query["error"])}</code></p>'
                '<p><a href="/">Start again</a></p>',
                "403 Forbidden",
            )
        answer = requests.post(
            self.hydra_public_url + "/oauth2/token",
            auth=(self.client_id, self.client_secret),
            data={
                "grant_type": "authorization_code",
                "code": query.get("code", ""),
                "redirect_uri": self.redirect_uri,
                "code_verifier": verifier,
            },
            timeout=10,
        )
        if answer.status_code != 200:
            return self._page(
                start_response, "Sign-in failed", "<p>The token exchange was refused.</p>", "502 Bad Gateway"
            )
        tokens = answer.json()
        claims = claims_of(tokens["id_token"])
        rows = "".join(
            f'<dt>{html.escape(str(k))}</dt><dd id="claim-{html.escape(str(k))}">{html.escape(json.dumps(v))}</dd>'
            for k, v in sorted(claims.items())
        )
        refresh = "yes" if tokens.get("refresh_token") else "no"
        return self._page(
            start_response,
            "Signed in to the demo app",
            f'<p>Signed in as <strong id="email">{html.escape(str(claims.get("email", "")))}'
            f"</strong>.</p><p>Refresh token received: {refresh}.</p>"
            f'<h2>The id_token\'s claims</h2><dl>{rows}</dl><p><a href="/">Back</a></p>',
        )

    @staticmethod
    def _page(start_response, title: str, body: str, status: str = "200 OK"):
        start_response(status, [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")])
        return [PAGE.format(title=html.escape(title), body=body).encode()]

    def start(self) -> DemoApp:
        self.server = make_server("127.0.0.1", self.port, self, handler_class=QuietHandler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
