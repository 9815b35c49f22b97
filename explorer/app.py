"""The app shell: page config and navigation built from the catalog (nothing heavy here)."""
from __future__ import annotations

import streamlit as st

from explorer import catalog


def main() -> None:
    st.set_page_config(page_title="Deep Learning Explorer", page_icon="🧭", layout="wide",
                       initial_sidebar_state="expanded")
    nav: dict[str, list] = {}
    for ch in catalog.CHAPTERS:
        pages = [st.Page(t.path, title=t.title, icon=t.icon, url_path=t.id, default=(t.id == "home"))
                 for t in ch.topics if t.exists]
        if pages:
            nav[f"{ch.number}. {ch.title}" if ch.number else ch.title] = pages
    st.navigation(nav, position="sidebar").run()
