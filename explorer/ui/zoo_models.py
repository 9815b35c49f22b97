"""The model zoo's reference networks inside a page: LeNet trains on first use, the others
behind a button; training shows a progress bar; each session hooks its own copy."""
from __future__ import annotations

import streamlit as st

from explorer.engines import zoo
from explorer.engines.device import cap_threads
from explorer.ui.layout import progress_bar

ARCH_LABEL = {a: zoo.INFO[a].label for a in zoo.ARCHS}
DATA_LABEL = {"mnist": "MNIST", "shapes": "Shapes"}
CHEAP = {"lenet"}  # trained on first use without asking; the others behind a button


def available(arch: str, dataset: str) -> bool:
    """True when the reference can be shown without asking (cheap, or already trained)."""
    return arch in CHEAP or zoo.is_cached(arch, dataset)


def reference_with_card(arch: str, dataset: str) -> tuple[zoo.ZooNet, dict]:
    """(shared read-only reference model, its card), trained now with a progress bar when not cached."""
    cap_threads()
    if zoo.is_cached(arch, dataset):
        return zoo.reference(arch, dataset)
    secs = "about 15–30 s" if arch == "lenet" else "a minute or two"
    bar, prog = progress_bar(f"Training the reference {ARCH_LABEL[arch]} on {DATA_LABEL[dataset]} once ({secs}; "
                             "then it is cached on disk for everyone)…")
    out = zoo.reference(arch, dataset, progress=prog)
    bar.empty()
    return out


def reference(arch: str, dataset: str) -> zoo.ZooNet:
    """The shared read-only reference model (see :func:`reference_with_card`)."""
    return reference_with_card(arch, dataset)[0]


def session_model(page: str, arch: str, dataset: str):
    """This session's own copy of a reference model, kept per page (hooks, gradients, mode switches)."""
    store = st.session_state.setdefault(f"_zoo_models:{page}", {})
    if (arch, dataset) not in store:
        store[(arch, dataset)] = zoo.session_copy(reference(arch, dataset))
    return store[(arch, dataset)]
