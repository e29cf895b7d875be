"""Jinja2: templates with inheritance, macros, filters, autoescaping and a sandbox."""
# dists: jinja2, markupsafe
from jinja2 import DictLoader, Environment, StrictUndefined, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

env = Environment(loader=DictLoader({
    "base.html": "<title>{% block title %}{% endblock %}</title>{% block body %}{% endblock %}",
    "page.html": "{% extends 'base.html' %}{% from 'm.html' import li %}"
                 "{% block title %}{{ title|title }}{% endblock %}"
                 "{% block body %}<ul>{% for i in items|sort %}{{ li(i) }}{% endfor %}</ul>{% endblock %}",
    "m.html": "{% macro li(x) %}<li>{{ x }}</li>{% endmacro %}",
}), autoescape=select_autoescape(["html"]), undefined=StrictUndefined)
print(env.get_template("page.html").render(title="a <b> list", items=["z", "<y>", "x"]))
print(env.from_string("{{ n|filesizeformat }} {{ d|dictsort }} {{ '%05.1f'|format(x) }}").render(
    n=123456, d={"b": 1, "a": 2}, x=3.14159))
print(SandboxedEnvironment().from_string("{{ 6 * 7 }} {{ s.upper() }}").render(s="ok"))
