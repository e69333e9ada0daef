"""The templates' faster lookups and strings answer exactly as Jinja's own: what a page shows
from Kratos's data, and the UI's own words, do not change with them."""

from collections import OrderedDict

import pytest
from flask import render_template_string

from app import i18n
from app.templating import PageEnvironment


@pytest.fixture
def render(app):
    def rendered(source, **values):
        with app.test_request_context("/"):
            return render_template_string(source, **values)

    return rendered


def test_a_dicts_keys_and_methods_are_found_as_jinja_finds_them(render):
    node = {"name": "email", "items": "a key that a method shadows", "value": None}
    assert render("{{ n.name }}", n=node) == "email"
    assert render("{{ n.missing }}|{{ n.missing is undefined }}", n=node) == "|True"
    assert render("{{ n.value is none }}", n=node) == "True"
    # getattr first, as Jinja: a dict's methods win over its keys of the same name.
    assert render("{{ n.items() | list | length }}", n=node) == "3"
    assert render("{{ n.get('name') }}", n=node) == "email"
    # Not a plain dict: Jinja's own lookup.
    assert render("{{ n.name }}|{{ n.nothing is undefined }}", n=OrderedDict(name="x")) == "x|True"


def test_the_uis_words_are_format_strings_escaped_on_the_page(render):
    assert render('{{ _("100%% of codes") }}') == "100% of codes"
    assert render('{{ _("Signed in as %(who)s", who=who) }}', who="<b>me</b>") == "Signed in as &lt;b&gt;me&lt;/b&gt;"
    assert render('{{ gettext("Signed in as %(who)s", who="a&b") }}') == "Signed in as a&amp;b"


def test_the_app_renders_with_these_lookups_and_strings(app):
    # The tests above pass with Jinja's own lookups too: these say the app's pages use the faster ones.
    assert isinstance(app.jinja_env, PageEnvironment)
    assert type(app.jinja_env.cache) is dict  # kept in a plain dict, no LRU lock per lookup
    assert app.jinja_env.globals["_"] is app.jinja_env.globals["gettext"] is i18n._template_gettext


def test_a_trans_block_may_pass_a_value_of_any_name(render):
    assert render("{% trans string=s %}Hello {{ string }}{% endtrans %}", s="<you>") == "Hello &lt;you&gt;"
