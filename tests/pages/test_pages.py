"""Every page in the catalog under AppTest: defaults, URL round-trips, hostile values."""
from __future__ import annotations

import importlib
import math
import re

import pytest
from streamlit.testing.v1 import AppTest

from explorer import catalog
from explorer.ui import params
from tests.conftest import ROOT

PAGES = [t.id for t in catalog.live_topics()]
HOSTILE = {"int": ["junk", "nan", "1e308", "-1e308"], "float": ["junk", "nan", "1e308", "-1e308"],
           "choice": ["junk", "-1"], "bool": ["maybe"], "multi": ["junk,,zz", ""], "text": ["x" * 500, "<b>"]}


def run_page(page: str, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.switch_page(f"explorer/pages/{page}.py")
    for k, v in (query or {}).items():
        at.query_params[k] = v
    return at.run()


def problems(at: AppTest) -> list[str]:
    return [e.value for e in at.exception] + [e.value for e in at.error]


def spec_of(page: str) -> list[params.Param]:
    """The page's Params: its view module's ``SPEC`` (read without running the page, so that
    collecting the tests stays cheap), else whatever a run of the page registers."""
    source = (ROOT / "explorer" / "pages" / f"{page}.py").read_text()
    found = re.search(r"^from explorer\.ui import (\w+_view) as view$", source, re.M)
    if found:
        return list(importlib.import_module(f"explorer.ui.{found.group(1)}").SPEC)
    if page not in params.REGISTRY:
        run_page(page)
    return params.REGISTRY.get(page, [])


def other_value(p: params.Param):
    """A valid value different from the default, close to it (cheap to run)."""
    if p.kind in ("int", "float"):
        step = p.step or (1 if p.kind == "int" else (p.hi - p.lo) / 10)
        v = p.default + step if p.default + step <= p.hi else p.default - step
        return int(v) if p.kind == "int" else round(v, 10)
    if p.kind == "choice":
        return next(c for c in p.choices if c != p.default)
    if p.kind == "bool":
        return not p.default
    if p.kind == "multi":  # two items, else three, else as few as allowed: one differs from the default
        picks = (tuple(p.choices[: max(n, p.min_items)]) for n in (2, 3, 1))
        return next(pick for pick in picks if pick != tuple(p.default))
    return "abc"


def notice_text(at: AppTest) -> str:
    return " ".join(w.value for w in at.warning)


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_with_defaults(page):
    at = run_page(page)
    assert problems(at) == []
    assert at.title and at.title[0].value
    assert not at.warning


def _param_cases():
    return [(page, p.name) for page in PAGES for p in spec_of(page)]


@pytest.mark.parametrize("page,name", _param_cases())
def test_parameter_round_trips_through_the_url(page, name):
    p = next(q for q in spec_of(page) if q.name == name)
    value = other_value(p)
    at = run_page(page, {name: params.encode(p, value)})
    assert problems(at) == []
    assert f"`{name}`" not in notice_text(at)
    got = at.session_state[name]
    assert (tuple(got) if p.kind == "multi" else got) == value
    got_q = at.query_params[name]
    assert (got_q if isinstance(got_q, str) else got_q[-1]) == params.encode(p, value)


@pytest.mark.parametrize("page,name", _param_cases())
def test_hostile_value_is_replaced_with_a_notice(page, name):
    p = next(q for q in spec_of(page) if q.name == name)
    raw = HOSTILE[p.kind][0]
    at = run_page(page, {name: raw})
    assert problems(at) == []
    assert f"`{name}`" in notice_text(at)
    ok, _ = params._check(p, at.session_state[name])
    assert ok


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("which", range(4))
def test_all_parameters_hostile_at_once(page, which):
    spec = spec_of(page)
    query = {p.name: HOSTILE[p.kind][which % len(HOSTILE[p.kind])] for p in spec}
    at = run_page(page, query)
    assert problems(at) == []
    text = notice_text(at)
    for p in spec:
        ok, _ = params._check(p, at.session_state[p.name])
        assert ok, p.name
        decoded, note = params.decode(p, query[p.name])
        assert (note is None) == (f"`{p.name}`" not in text)


def test_decode_clamps_and_explains():
    p = params.Param("n", "N", "int", 5, lo=0, hi=50, step=5)
    assert params.decode(p, "7") == (5, params.decode(p, "7")[1]) and params.decode(p, "7")[1]
    assert params.decode(p, "999")[0] == 50 and params.decode(p, "-3")[0] == 0
    assert params.decode(p, "nan")[0] == 5 and params.decode(p, "20") == (20, None)
    f = params.Param("lr", "LR", "choice", 0.03, choices=(0.01, 0.03, 0.1))
    assert params.decode(f, "0.1") == (0.1, None)
    value, note = params.decode(f, "0.09")
    assert value == 0.1 and "nearest" in note
    m = params.Param("f", "F", "multi", ("a",), choices=("a", "b", "c"), min_items=1)
    assert params.decode(m, "c,a") == (("a", "c"), None)
    assert params.decode(m, "zz")[0] == ("a",)
    assert math.isclose(params.decode(params.Param("d", "D", "float", 0.0, lo=0, hi=0.5, step=0.05), "0.12")[0], 0.1)
