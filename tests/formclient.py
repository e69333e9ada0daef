"""A browser without JavaScript, for the integration tests: it follows
redirects, keeps cookies, reads forms and submits them as a browser would."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

import requests


@dataclass
class Form:
    action: str
    method: str
    id: str = ""
    fields: list = field(default_factory=list)   # (name, value) of inputs a browser would send
    buttons: list = field(default_factory=list)  # (name, value, text, type)
    inputs: dict = field(default_factory=dict)   # name -> attributes, for assertions
    in_main: bool = False                        # in the page's <main>, not the header or footer


class _PageParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[Form] = []
        self.messages: list[tuple[str, str]] = []
        self.message_ids: list[int] = []  # Kratos's ids of the messages shown (data-message-id)
        self.text: list[str] = []
        self._button = None
        self._message = None
        self._skip = 0
        self._in_main = False

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag in ("script", "style", "title"):
            self._skip += 1
        if tag == "main":
            self._in_main = True
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method", "get").lower(), a.get("id", ""),
                                   in_main=self._in_main))
        elif tag == "input" and self.forms:
            form = self.forms[-1]
            form.inputs[a.get("name", "")] = a
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if a.get("name") and kind not in ("submit", "button"):
                form.fields.append((a["name"], a.get("value", "")))
        elif tag == "button" and self.forms:
            self._button = [a.get("name", ""), a.get("value", ""), "", a.get("type", "submit")]
        elif tag == "p" and "msg" in a.get("class", "").split():
            kind = next((c[4:] for c in a["class"].split() if c.startswith("msg-")), "info")
            if a.get("data-message-id", "").isdigit():
                self.message_ids.append(int(a["data-message-id"]))
            self._message = [kind, ""]

    def handle_endtag(self, tag):
        if tag in ("script", "style", "title"):
            self._skip -= 1
        if tag == "main":
            self._in_main = False
        if tag == "button" and self._button is not None:
            self._button[2] = self._button[2].strip()
            self.forms[-1].buttons.append(tuple(self._button))
            self._button = None
        elif tag == "p" and self._message is not None:
            self.messages.append((self._message[0], " ".join(self._message[1].split())))
            self._message = None

    def handle_data(self, data):
        if self._skip:
            return
        self.text.append(data)
        if self._button is not None:
            self._button[2] += data
        if self._message is not None:
            self._message[1] += data


class Page:
    def __init__(self, client: "FormClient", resp: requests.Response):
        self.client, self.resp = client, resp
        parser = _PageParser()
        parser.feed(resp.text)
        self.forms, self.messages, self.message_ids = parser.forms, parser.messages, parser.message_ids
        self.text = " ".join(" ".join(parser.text).split())

    @property
    def url(self) -> str:
        return self.resp.url

    @property
    def status(self) -> int:
        return self.resp.status_code

    def form(self, button_text: str | None = None, form_id: str | None = None) -> Form:
        """The page's own form (in <main>) with that button, else the header's or footer's."""
        for form in sorted(self.forms, key=lambda f: not f.in_main):
            if form_id is not None and form.id != form_id:
                continue
            if button_text is None or any(button_text in b[2] for b in form.buttons if b[3] != "button"):
                return form
        raise AssertionError(f"no form with a {button_text!r} button on {self.url}: {self.text[:300]}")

    def submission(self, values: dict | None = None, button: str | None = None,
                   form_id: str | None = None) -> tuple[str, str, list]:
        """(method, URL, data) a browser sends when `values` are filled in (by input name) and
        the button whose text contains `button` is pressed (in the form with id `form_id`)."""
        form = self.form(button, form_id)
        values = dict(values or {})
        data = [(n, values.pop(n) if n in values else v) for n, v in form.fields]
        data += list(values.items())
        # Like a person: the button labelled exactly so, else one whose label contains it.
        # Script-only buttons (type=button) never submit.
        submits = [b for b in form.buttons if b[3] != "button"]
        pressed = next((b for b in submits if b[2] == button), None) or next(
            (b for b in submits if button is None or button in b[2]), None)
        if pressed and pressed[0]:
            data.append((pressed[0], pressed[1]))
        return form.method.upper(), urljoin(self.url, form.action or self.url), data

    def submit(self, values: dict | None = None, button: str | None = None, form_id: str | None = None) -> "Page":
        method, target, data = self.submission(values, button, form_id)
        return self.client.request(method, target, data=data)


class FormClient:
    def __init__(self, user_agent: str = "FormClient/1.0 (integration tests)"):
        self.http = requests.Session()
        self.http.headers["User-Agent"] = user_agent

    def request(self, method: str, url: str, **kwargs) -> Page:
        return Page(self, self.http.request(method, url, timeout=30, **kwargs))

    def get(self, url: str, **kwargs) -> Page:
        return self.request("GET", url, **kwargs)
