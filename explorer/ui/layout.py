"""Page furniture: a header with § numbers, an "explain" section, presets as links."""
from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

from explorer import catalog


def header(page_id: str, lead: str) -> None:
    """Title with the roadmap's § numbers and one sentence on what to try."""
    t = catalog.topic(page_id)
    st.title(f"{t.icon} {t.title}")
    st.caption(f"Roadmap {t.sections} · {lead}")


def explain(title: str, parts: list) -> None:
    """An expander with the lesson: strings are markdown, ``("latex", s)`` tuples are math."""
    with st.expander(f"📖 Explain: {title}", expanded=False):
        for part in parts:
            if isinstance(part, tuple) and part[0] == "latex":
                st.latex(part[1])
            else:
                st.markdown(part)


def presets(page_id: str, items: list[tuple[str, str, dict]]) -> None:
    """"Try this" links: (label, one line, query dict). A preset is just a link."""
    st.subheader("Try this")
    cols = st.columns(min(3, len(items)) or 1)
    for i, (label, line, query) in enumerate(items):
        href = f"/{page_id}?{urlencode(query, safe=',')}" if query else f"/{page_id}"
        cols[i % len(cols)].markdown(f"**[{label}]({href})**  \n{line}")


def progress_bar(text: str):
    """(bar, callback(fraction, *ignored)): a progress bar that shows the percentage done."""
    bar = st.progress(0.0, text=text)
    return bar, (lambda f, *_: bar.progress(min(1.0, float(f)), text=f"{text} {100 * float(f):.0f} %"))
