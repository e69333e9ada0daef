"""The Jinja macros render every node Kratos sends, from recorded flows."""

import copy

import pytest
from flask import render_template_string

from page_checks import parse
from support import recorded

RENDER = '{% import "macros/nodes.html" as ui %}{{ ui.nodes(nodes) }}'


@pytest.fixture
def render(app):
    def render_nodes(nodes):
        with app.test_request_context("/"):
            return render_template_string(RENDER, nodes=nodes)

    return render_nodes


def nodes_of(fixture):
    return copy.deepcopy(recorded(fixture)["body"]["ui"]["nodes"])


def node(nodes, name):
    return next(n for n in nodes if (n["attributes"].get("name") or n["attributes"].get("id")) == name)


def test_totp_qr_image_and_secret_text(render):
    nodes = nodes_of("settings_flow")
    html = render(nodes)
    qr, secret = node(nodes, "totp_qr"), node(nodes, "totp_secret_key")
    assert f'src="{qr["attributes"]["src"]}"' in html and qr["attributes"]["src"].startswith("data:image/png")
    assert f"<code>{secret['attributes']['text']['text']}</code>" in html
    assert 'name="totp_code"' in html


def test_lookup_secrets_render_as_a_grid_of_codes(render):
    nodes = nodes_of("settings_lookup_secret_regenerated")
    codes = [s["text"] for s in node(nodes, "lookup_secret_codes")["attributes"]["text"]["context"]["secrets"]]
    html = render(nodes)
    assert len(codes) > 5
    assert all(f"<li><code>{c}</code></li>" in html for c in codes)
    # Boolean node values are submitted as JSON spells them.
    assert 'name="lookup_secret_confirm" value="true"' in html


def test_unknown_node_types_and_groups_render_harmlessly(render):
    nodes = nodes_of("login_flow")
    future = copy.deepcopy(node(nodes, "password"))
    future["type"], future["group"] = "hologram", "quantum"
    odd_group = copy.deepcopy(node(nodes, "identifier"))
    odd_group["group"] = "some_future_method"
    html = render([future, odd_group])
    assert "hologram" not in html.replace("<!-- unsupported node type -->", "")
    assert 'name="identifier"' in html


def test_everything_kratos_sends_is_escaped(render):
    nodes = nodes_of("login_invalid_credentials")
    ident = node(nodes, "identifier")
    ident["attributes"]["value"] = '"><script>alert(1)</script>'
    ident["meta"]["label"]["text"] = "<b>ID</b>"
    html = render([ident])
    assert "<script>alert(1)" not in html and "<b>ID</b>" not in html
    assert "&lt;b&gt;ID&lt;/b&gt;" in html


@pytest.mark.parametrize(
    "value",
    [
        'a" autofocus onfocus="alert(1)',  # a quote left as it is would end the attribute
        "Tom &amp; Jerry &lt;3",  # an ampersand left as it is would be read as the start of an entity
        "<b>'bold'</b>",
    ],
)
def test_a_value_kratos_sends_is_kept_whole_in_its_attribute(render, value):
    nodes = nodes_of("login_invalid_credentials")
    ident = node(nodes, "identifier")
    ident["attributes"]["value"] = value
    field = parse("<!doctype html><title>t</title>" + render([ident])).find(".//input[@name='identifier']")
    assert field.get("value") == value
    assert "onfocus" not in field.attrib and "autofocus" not in field.attrib


def test_node_messages_render_by_type(render):
    nodes = nodes_of("registration_invalid_password")
    password = node(nodes, "password")
    html = render([password])
    message = password["messages"][0]
    assert f'class="msg msg-{message["type"]}"' in html and message["text"] in html


def test_false_and_numeric_values_are_submitted_as_json_spells_them(render):
    nodes = nodes_of("settings_lookup_secret_regenerated")
    confirm = copy.deepcopy(node(nodes, "lookup_secret_confirm"))
    confirm["attributes"].update(type="hidden", value=False)
    number = copy.deepcopy(node(nodes, "lookup_secret_confirm"))
    number["attributes"].update(type="hidden", name="n", value=0)
    from page_checks import parse

    inputs = {el.get("name"): el.get("value") for el in parse(render([confirm, number]), strict=False).iter("input")}
    assert inputs == {"lookup_secret_confirm": "false", "n": "0"}
