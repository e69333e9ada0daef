"""The templates' faster lookups and strings answer exactly as Jinja's own: what a page shows
from Kratos's data, and the UI's own words, do not change with them."""

import importlib
from collections import OrderedDict

import flask.globals
import pytest
from flask import current_app, g, render_template_string, request
from jinja2 import Environment, pass_context, pass_environment, pass_eval_context
from markupsafe import Markup

from app import current, i18n
from app.i18n import _l
from app.templating import PageContext, PageEnvironment, output_escape


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


class Asked:
    """An object without the attribute a template asks for, whose item of that name exists."""

    def __init__(self):
        self.asked = 0

    def __getattr__(self, name):
        self.asked += 1
        raise AttributeError(name)

    def __getitem__(self, name):
        return f"item {name}"


def test_an_objects_attribute_is_looked_up_as_jinja_looks_it_up_and_once(render):
    ours, stock = Asked(), Asked()
    source = "{{ o.x }}|{{ o.x.y is undefined }}"
    assert render(source, o=ours) == Environment().from_string(source).render(o=stock) == "item x|True"
    assert ours.asked == stock.asked == 2  # once for each o.x
    assert render("{{ o.x is undefined }}", o=object()) == "True"


def test_the_uis_words_are_format_strings_escaped_on_the_page(render):
    assert render('{{ _("100%% of codes") }}') == "100% of codes"
    assert render('{{ _("Signed in as %(who)s", who=who) }}', who="<b>me</b>") == "Signed in as &lt;b&gt;me&lt;/b&gt;"
    assert render('{{ gettext("Signed in as %(who)s", who="a&b") }}') == "Signed in as a&amp;b"


class Text(str):
    """A str of another type: escaped like any str."""


class Safe(Markup):
    """Markup of another type: written as it is."""


class Html:
    def __html__(self):
        return "<mark>own markup</mark>"


def test_what_a_page_writes_is_escaped_as_jinja_escapes_it(render):
    values = [
        "<b>\"x\" & 'y'</b>",
        'a" onfocus="x',
        "it's",
        "Tom & Jerry",
        "a > b",
        "plain",
        "",
        Markup("<i>kept</i>"),
        3,
        1.5,
        None,
        True,
        ["<a>"],
        _l("Settings"),
        Text("<sub>class</sub>"),
        Safe("<em>safe subclass</em>"),
        Html(),
    ]
    source = (
        "{% macro m(v) %}<p>{{ v }}</p>{% endmacro %}{% set block %}<s>{{ values[0] }}</s>{% endset %}"
        "{% for v in values %}[{{ v }}|{{ m(v) }}|{{ v ~ '<' }}]{% endfor %}{{ nothing }}{{ block }}"
        "{% autoescape false %}{{ values[0] }}{% endautoescape %}"
        "{% autoescape flag %}{{ values[0] }}{% endautoescape %}"  # decided as it renders
    )
    stock = Environment(autoescape=True)
    for flag in (True, False):
        assert render(source, values=values, flag=flag) == stock.from_string(source).render(values=values, flag=flag)
    assert "&lt;b&gt;&#34;x&#34; &amp; &#39;y&#39;&lt;/b&gt;" in render(source, values=values, flag=True)


def test_the_app_renders_with_these_lookups_and_strings(app):
    # The tests above pass with Jinja's own lookups too: these say the app's pages use the faster ones.
    assert isinstance(app.jinja_env, PageEnvironment)
    assert type(app.jinja_env.cache) is dict  # kept in a plain dict, no LRU lock per lookup
    assert app.jinja_env.context_class is PageContext
    assert app.jinja_env.globals["_"] is app.jinja_env.globals["gettext"] is i18n._template_gettext
    page = app.jinja_env.get_template("flow.html")
    assert page.root_render_func.__globals__["escape"] is output_escape


def test_a_trans_block_may_pass_a_value_of_any_name(render):
    assert render("{% trans string=s %}Hello {{ string }}{% endtrans %}", s="<you>") == "Hello &lt;you&gt;"


def test_functions_and_macros_are_called_as_jinja_calls_them(render):
    @pass_context
    def sees_context(context, suffix):
        return context["who"] + suffix

    @pass_eval_context
    def sees_autoescape(eval_ctx):
        return eval_ctx.autoescape

    @pass_environment
    def sees_environment(environment):
        return type(environment).__name__

    def plain(*args, **kwargs):
        return f"{args}{','.join(sorted(kwargs))}"

    def stops():
        raise StopIteration

    values = dict(
        sees_context=sees_context, sees_autoescape=sees_autoescape, sees_environment=sees_environment, plain=plain
    )
    # Inside a loop and a block Jinja passes the names set there, for a pass_context function to
    # see; they never reach a plain function.
    source = (
        "{% block b %}{% for x in ['you'] %}{% set who = x %}{{ sees_context('!') }}|{{ plain(1, a=2) }}"
        "{% endfor %}{% endblock %}|{{ sees_autoescape() }}|{{ sees_environment() }}"
    )
    assert render(source, **values) == "you!|(1,)a|True|PageEnvironment"
    stock = Environment(autoescape=True)
    assert stock.from_string(source).render(**values) == "you!|(1,)a|True|Environment"
    assert render("[{{ stops() }}]", stops=stops) == stock.from_string("[{{ stops() }}]").render(stops=stops) == "[]"
    macros = "{% macro m(x, y=2) %}{{ x }}{{ y }}{{ caller() if caller }}{% endmacro %}"
    source = macros + "{{ m(1) }}|{{ m(1, y=3) }}|{% call m(0) %}c{% endcall %}"
    assert render(source) == stock.from_string(source).render() == "12|13|02c"


@pytest.fixture(params=["context variables", "proxies"])
def current_module(request, monkeypatch):
    """app.current as it is, and as it would be on a Flask without the context variables it reads."""
    if request.param == "proxies":
        monkeypatch.delattr(flask.globals, "_cv_request")
        importlib.reload(current)
        assert current._cv_request is None
    yield current
    monkeypatch.undo()
    importlib.reload(current)


def test_the_requests_objects_are_the_ones_flasks_proxies_give(app, current_module):
    with app.test_request_context("/settings?flow=x"):
        assert current_module.request() is request._get_current_object()
        assert current_module.g() is g._get_current_object()
        assert current_module.app() is current_app._get_current_object()
    with app.app_context():
        assert current_module.request_or_none() is None
        with pytest.raises(RuntimeError):
            current_module.request()
        assert current_module.g() is g._get_current_object()
        assert current_module.app() is app
    for outside in (current_module.request, current_module.g, current_module.app):
        with pytest.raises(RuntimeError):
            outside()
