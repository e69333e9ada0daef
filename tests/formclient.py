"""A browser without JavaScript, for the integration tests: it follows
redirects, keeps cookies, reads forms and submits them as a browser would."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs, urljoin, urlsplit

import requests

import page_checks

# UI origin -> Kratos public URL, registered by the test stacks: pages of a flow are then
# checked against the flow's nodes as Kratos serves them.
KRATOS_FOR_UI: dict[str, str] = {}
FLOW_PAGES = ("login", "registration", "settings", "recovery", "verification")


@dataclass
class Form:
    action: str
    method: str
    id: str = ""
    fields: list = field(default_factory=list)  # (name, value) of inputs a browser would send
    buttons: list = field(default_factory=list)  # (name, value, text, type)
    inputs: dict = field(default_factory=dict)  # name -> attributes, for assertions
    in_main: bool = False  # in the page's <main>, not the header or footer


def _pieces(el, out: list[str]) -> list[str]:
    """The element's text nodes as a reader meets them (no script, style or title)."""
    if el.tag not in ("script", "style", "title"):
        out.append(el.text or "")
        for child in el:
            _pieces(child, out)
            out.append(child.tail or "")
    return out


def _own_text(el) -> str:
    return " ".join(" ".join(_pieces(el, [])).split())


def _read_form(el, in_main: bool) -> Form:
    form = Form(el.get("action", ""), el.get("method", "get").lower(), el.get("id", ""), in_main=in_main)
    for control in (c for c in el.iter() if c.tag in ("input", "button")):
        a = {k: v for k, v in control.attrib.items()}
        if control.tag == "button":
            form.buttons.append((a.get("name", ""), a.get("value", ""), _own_text(control), a.get("type", "submit")))
            continue
        form.inputs[a.get("name", "")] = a
        kind = a.get("type", "text")
        if kind in ("checkbox", "radio") and "checked" not in a:
            continue
        if a.get("name") and kind not in ("submit", "button"):
            form.fields.append((a["name"], a.get("value", "")))
    return form


@dataclass
class Parsed:
    """What a person sees of a page: its forms, its messages (kind, text) and their Kratos ids, its text."""

    forms: list = field(default_factory=list)
    messages: list = field(default_factory=list)
    message_ids: list = field(default_factory=list)
    text: str = ""

    @classmethod
    def of(cls, html: str, strict: bool = False) -> Parsed:
        parsed = cls()
        parsed.read(html, strict)
        return parsed

    def read(self, html: str, strict: bool) -> None:
        doc = page_checks.parse(html, strict=strict)
        in_main = {id(el) for main in doc.iter("main") for el in main.iter("form")}
        self.forms = [_read_form(el, id(el) in in_main) for el in doc.iter("form")]
        shown = [el for el in doc.iter("p") if "msg" in el.get("class", "").split()]
        self.messages = [
            (next((c[4:] for c in el.get("class", "").split() if c.startswith("msg-")), "info"), _own_text(el))
            for el in shown
        ]
        self.message_ids = [
            int(el.get("data-message-id")) for el in shown if (el.get("data-message-id") or "").isdigit()
        ]
        self.text = _own_text(doc)


class Page(Parsed):
    def __init__(self, client: FormClient, resp: requests.Response):
        super().__init__()
        self.client, self.resp = client, resp
        if "html" in resp.headers.get("Content-Type", ""):
            self.read(resp.text, strict=client.check(resp))

    @property
    def url(self) -> str:
        return self.resp.url

    @property
    def status(self) -> int:
        return self.resp.status_code

    def form(self, button_text: str | None = None, form_id: str | None = None) -> Form:
        """The page's own form (in <main>) with that button, else the header's or footer's;
        like a person, the button labelled exactly so before one whose label contains it."""
        ordered = sorted(self.forms, key=lambda f: not f.in_main)
        for exact in (True, False):
            for form in ordered:
                if form_id is not None and form.id != form_id:
                    continue
                labels = [b[2] for b in form.buttons if b[3] != "button"]
                if button_text is None or any(button_text == t if exact else button_text in t for t in labels):
                    return form
        raise AssertionError(f"no form with a {button_text!r} button on {self.url}: {self.text[:300]}")

    def submission(
        self, values: dict | None = None, button: str | None = None, form_id: str | None = None
    ) -> tuple[str, str, list]:
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
            (b for b in submits if button is None or button in b[2]), None
        )
        if pressed and pressed[0]:
            data.append((pressed[0], pressed[1]))
        return form.method.upper(), urljoin(self.url, form.action or self.url), data

    def submit(self, values: dict | None = None, button: str | None = None, form_id: str | None = None) -> Page:
        method, target, data = self.submission(values, button, form_id)
        return self.client.request(method, target, data=data)


class FormClient:
    def __init__(self, user_agent: str = "FormClient/1.0 (integration tests)"):
        self.http = requests.Session()
        self.http.headers["User-Agent"] = user_agent

    def check(self, resp: requests.Response) -> bool:
        """Every page of the UI parses, and its controls keep Kratos's node attributes
        (tests/page_checks.py). Other servers' pages (Hydra's redirect bodies) are not checked."""
        parts = urlsplit(resp.url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in KRATOS_FOR_UI:
            return False
        kratos = KRATOS_FOR_UI[origin]
        flow_id = parse_qs(parts.query).get("flow", [None])[0]
        kind = parts.path.strip("/")
        nodes, refresh = None, False
        if kratos and flow_id and kind in FLOW_PAGES and resp.status_code in (200, 400):
            # Outside the session: what Kratos answers must not change the browser's cookies.
            flow = requests.get(
                f"{kratos}/self-service/{kind}/flows",
                params={"id": flow_id},
                timeout=30,
                headers={"Accept": "application/json"},
                cookies=self.http.cookies,
            )
            if flow.status_code == 200:
                nodes, refresh = flow.json()["ui"]["nodes"], bool(flow.json().get("refresh"))
        page_checks.check_page(resp.text, nodes, refresh)
        return True

    def request(self, method: str, url: str, **kwargs) -> Page:
        return Page(self, self.http.request(method, url, timeout=30, **kwargs))

    def get(self, url: str, **kwargs) -> Page:
        return self.request("GET", url, **kwargs)
