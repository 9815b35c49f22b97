"""One declaration per control drives its widget, its URL query parameter and validation.

A page lists :class:`Param` s and calls :func:`sync_from_url`, then :func:`widget` for each
control wherever it lays it out, then :func:`sync_to_url`: widgets and the URL stay in
step. The widget key is the query parameter's name. Defaults stay out of the URL. A URL
value that is junk or out of range is clamped or replaced, and :func:`show_notices`
names each such parameter in one visible line.

Why not Streamlit's own ``bind="query-params"``: it drops an invalid value silently (no
clamping, nothing shown), and a shared link must say what it could not honour.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import urlencode

import streamlit as st

KINDS = ("int", "float", "choice", "bool", "multi", "text")
REGISTRY: dict[str, list] = {}  # page id → its declared controls (read by the page tests)
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Param:
    """A control. ``name`` is the widget key and the URL parameter.

    kind: int/float (lo..hi, step), choice (one of choices), bool, multi (subset of
    choices, at least ``min_items``), text (at most ``max_len`` characters matching
    ``pattern``). ``widget`` picks the Streamlit element; ``fmt`` formats choices.
    """

    name: str
    label: str
    kind: str
    default: Any
    lo: float | None = None
    hi: float | None = None
    step: float | None = None
    choices: tuple = ()
    help: str | None = None
    widget: str = ""
    fmt: Callable[[Any], str] | None = None
    min_items: int = 0
    max_len: int = 64
    pattern: str = r"[\w .,:+\-]*"

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"{self.name}: unknown kind {self.kind!r}")
        ok, _ = _check(self, self.default)
        if not ok:
            raise ValueError(f"{self.name}: default {self.default!r} is not valid")


def _check(p: Param, v: Any) -> tuple[bool, Any]:
    """(valid?, value) for an already-typed value."""
    if p.kind == "int":
        return isinstance(v, int) and p.lo <= v <= p.hi, v
    if p.kind == "float":
        return isinstance(v, (int, float)) and math.isfinite(v) and p.lo <= v <= p.hi, v
    if p.kind == "choice":
        return v in p.choices, v
    if p.kind == "bool":
        return isinstance(v, bool), v
    if p.kind == "multi":
        return (isinstance(v, (tuple, list)) and all(x in p.choices for x in v)
                and len(v) >= p.min_items), tuple(v)
    return isinstance(v, str) and 0 < len(v) <= p.max_len and re.fullmatch(p.pattern, v) is not None, v


def encode(p: Param, value: Any) -> str:
    """The query-string text of a value."""
    if p.kind == "bool":
        return "1" if value else "0"
    if p.kind == "multi":
        return ",".join(str(x) for x in value)
    if p.kind == "float" or isinstance(value, float):
        return f"{value:g}" if value == float(f"{value:g}") else repr(float(value))
    return str(value)


def nearest(choices: tuple, x: float) -> Any:
    """The option nearest to x on a log scale (options are positive, like learning rates)."""
    return min(choices, key=lambda c: abs(math.log10(max(c, 1e-12)) - math.log10(max(x, 1e-12))))


def decode(p: Param, raw: str) -> tuple[Any, str | None]:
    """(value, notice) from a URL value; the notice is None when the value was fine."""
    raw = str(raw)
    shown = raw if len(raw) <= 24 else raw[:24] + "…"
    if p.kind in ("int", "float"):
        try:
            x = float(raw)
        except ValueError:
            return p.default, f"`{p.name}`={shown!r} is not a number; using the default {encode(p, p.default)}."
        if not math.isfinite(x):
            return p.default, f"`{p.name}`={shown} is not finite; using the default {encode(p, p.default)}."
        c = min(p.hi, max(p.lo, x))
        if p.kind == "int":
            c = int(round(c))
            if p.step and p.step > 1:
                c = int(min(p.hi, round((c - p.lo) / p.step) * p.step + p.lo))
        elif p.step:
            c = round(round((c - p.lo) / p.step) * p.step + p.lo, 10)
        if c != x:
            return c, f"`{p.name}`={shown} is outside {encode(p, p.lo)}..{encode(p, p.hi)} or off its step; using {encode(p, c)}."
        return c, None
    if p.kind == "choice":
        by_text = {encode(p, c): c for c in p.choices}
        if raw in by_text:
            return by_text[raw], None
        if all(isinstance(c, (int, float)) for c in p.choices):
            try:
                x = float(raw)
            except ValueError:
                x = float("nan")
            same = [c for c in p.choices if math.isclose(c, x, rel_tol=1e-9, abs_tol=1e-15)]
            if same:  # another spelling of an option, like 1e-5 for 0.00001
                return same[0], None
            if math.isfinite(x) and x > 0:
                c = nearest(p.choices, x)
                return c, f"`{p.name}`={shown} is not one of the options; using the nearest, {encode(p, c)}."
        return p.default, f"`{p.name}`={shown!r} is not one of the options; using the default {encode(p, p.default)}."
    if p.kind == "bool":
        low = raw.lower()
        if low in _TRUE | _FALSE:
            return low in _TRUE, None
        return p.default, f"`{p.name}`={shown!r} is not on/off; using the default."
    if p.kind == "multi":
        items = [x for x in raw.split(",") if x != ""]
        by_text = {str(c): c for c in p.choices}
        good = tuple(c for c in p.choices if str(c) in items)
        bad = [x for x in items if x not in by_text]
        if len(good) < p.min_items:
            return p.default, f"`{p.name}` needs at least {p.min_items} valid item(s); using the default."
        if bad:
            return good, f"`{p.name}`: ignored unknown item(s) {', '.join(repr(b[:16]) for b in bad[:4])}."
        return good, None
    if len(raw) > p.max_len or re.fullmatch(p.pattern, raw) is None or raw == "":
        return p.default, f"`{p.name}` must be 1..{p.max_len} letters, digits or . , : + -; using the default."
    return raw, None


def _url_key(page: str) -> str:
    return f"_url_written:{page}"


def sync_from_url(page: str, spec: list[Param]) -> list[str]:
    """Put URL (or default) values into session state before the widgets are drawn.

    The URL is read on the first run of the page and whenever it differs from what this
    module last wrote (a link opened, a preset applied); otherwise the widgets own their
    values. Returns the notices for URL values that had to be clamped or replaced (on the
    run that read them; later reruns return none).
    """
    REGISTRY[page] = spec
    raw = {p.name: st.query_params.get(p.name) for p in spec}
    written = st.session_state.get(_url_key(page))
    apply_url = written is None or raw != written
    notices: list[str] = []
    for p in spec:
        if apply_url or p.name not in st.session_state:
            value, note = (p.default, None) if raw[p.name] is None else decode(p, raw[p.name])
            if note and apply_url:
                notices.append(note)
            st.session_state[p.name] = value
    return notices


def query_for(spec: list[Param], values: dict) -> dict[str, str]:
    """The non-default values of a view as query parameters."""
    out = {}
    for p in spec:
        v = values.get(p.name, p.default)
        if p.kind == "multi":
            v = tuple(v)
        if v != p.default:
            out[p.name] = encode(p, v)
    return out


def current(spec: list[Param]) -> dict:
    """Every control's value; one a widget left invalid (say, all pills unselected) reads as
    its default."""
    out = {}
    for p in spec:
        v = st.session_state.get(p.name, p.default)
        ok, v = _check(p, v)
        out[p.name] = v if ok else p.default
    return out


def invalid(spec: list[Param]) -> list[Param]:
    """Controls whose widget currently holds an unusable value (an emptied text box, no
    pill selected); :func:`current` reads them as their defaults."""
    return [p for p in spec if p.name in st.session_state and not _check(p, st.session_state[p.name])[0]]


def sync_to_url(page: str, spec: list[Param]) -> dict[str, str]:
    """Write the non-default values into the URL (and drop defaults). Returns the query."""
    query = query_for(spec, current(spec))
    for p in spec:
        if p.name in query:
            if st.query_params.get(p.name) != query[p.name]:
                st.query_params[p.name] = query[p.name]
        elif p.name in st.query_params:
            del st.query_params[p.name]
    st.session_state[_url_key(page)] = {p.name: query.get(p.name) for p in spec}
    return query


def widget(p: Param, where: Any = st, disabled: bool = False) -> Any:
    """Draw the control bound to session state key ``p.name``; returns its value."""
    kw = dict(key=p.name, help=p.help, disabled=disabled)
    w = p.widget
    if p.kind == "int" or (p.kind == "float" and w != "select_slider"):
        step = p.step if p.step is not None else (1 if p.kind == "int" else (p.hi - p.lo) / 100)
        if w == "number":
            return where.number_input(p.label, min_value=p.lo, max_value=p.hi, step=step, **kw)
        return where.slider(p.label, min_value=p.lo, max_value=p.hi, step=step, **kw)
    fmt = p.fmt or str
    if p.kind == "choice":
        if w == "select_slider":
            return where.select_slider(p.label, options=list(p.choices), format_func=fmt, **kw)
        if w == "radio":
            return where.radio(p.label, options=list(p.choices), format_func=fmt, horizontal=True, **kw)
        if w == "segmented":
            return where.segmented_control(p.label, options=list(p.choices), format_func=fmt, required=True, **kw)
        return where.selectbox(p.label, options=list(p.choices), format_func=fmt, **kw)
    if p.kind == "bool":
        return where.toggle(p.label, **kw)
    if p.kind == "multi":
        if w == "pills":
            val = where.pills(p.label, options=list(p.choices), format_func=fmt, selection_mode="multi", **kw)
        else:
            val = where.multiselect(p.label, options=list(p.choices), format_func=fmt, **kw)
        return tuple(c for c in p.choices if c in (val or ()))
    return where.text_input(p.label, max_chars=p.max_len, **kw)


def show_notices(notices: list[str]) -> None:
    """One visible line naming every URL parameter that was adjusted."""
    if notices:
        st.warning("The link had values this page cannot use, so it adjusted them: " + " ".join(notices),
                   icon="⚠️")


def share_url(query: dict[str, str], page: str) -> str:
    """The full link to this view."""
    base = ""
    try:
        base = (st.context.url or "").split("?")[0].split("#")[0]
    except Exception:  # AppTest has no browser URL
        base = ""
    if not base:
        base = f"http://localhost:8501/{page}"
    return base + ("?" + urlencode(query, safe=",") if query else "")


SHARE_NOTE = ("This link reopens this view with the same settings and seed; anything the page trains "
              "starts again from its first step and replays identically.")


def share_box(query: dict[str, str], page: str, where: Any = st, note: str = SHARE_NOTE) -> None:
    """A visible "share this view" affordance with the full link."""
    with where.popover("🔗 Share this view", width="stretch"):
        st.caption(note)
        st.code(share_url(query, page), language=None, wrap_lines=True)
