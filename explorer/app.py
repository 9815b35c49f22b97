"""The app shell: page config and navigation built from the catalog (nothing heavy here)."""
from __future__ import annotations

import streamlit as st

from explorer import catalog


def main() -> None:
    st.set_page_config(page_title="Deep Learning Explorer", page_icon="🧭", layout="wide",
                       initial_sidebar_state="expanded")
    nav: dict[str, list] = {}
    for ch in catalog.CHAPTERS:
        pages = [st.Page(t.path, title=t.title, icon=t.icon, url_path="index" if t.id == "home" else t.id,
                         default=(t.id == "home")) for t in ch.topics if t.exists]
        if pages:
            nav[f"{ch.number}. {ch.title}" if ch.number else ch.title] = pages
    # Home is served at "/" (the default page); "/home" reaches it too, like every other page id.
    home = catalog.topic("home")
    nav[next(iter(nav))].append(st.Page(home.path, title=home.title, url_path="home", visibility="hidden"))
    st.navigation(nav, position="sidebar").run()
