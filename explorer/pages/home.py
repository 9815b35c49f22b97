"""Home: the whole curriculum map, the device in use, how links and presets work."""
import streamlit as st

from explorer import catalog
from explorer.engines import device

st.title("🧭 Deep Learning Explorer")
st.markdown(
    "The deep-learning curriculum as pages where you **do** things: move a slider, train a small "
    "model live, look inside it. Every view is a link — copy it from **🔗 Share this view** and "
    "anyone who opens it sees the same settings, the same seed and the same run."
)
live = catalog.live_topics()
total = len(catalog.all_topics())
st.caption(f"{len(live)} of {total} topics are available now; the rest are listed so you can see "
           "where the course goes.")

for ch in catalog.CHAPTERS:
    st.subheader(f"{ch.number}. {ch.title} · {ch.sections}" if ch.number else f"{ch.title} · {ch.sections}")
    cols = st.columns(3)
    for i, t in enumerate(ch.topics):
        box = cols[i % 3].container(border=True)
        if t.exists:
            box.page_link(str(t.path), label=f"{t.title} ({t.sections})", icon=t.icon)
            box.caption(t.blurb)
        else:
            box.markdown(f"<span style='color:#6b7480'>{t.title} ({t.sections}) — not yet available</span>",
                         unsafe_allow_html=True)
            box.caption(t.blurb)

st.subheader("Links and presets")
st.markdown(
    "- Every control of a page is also a query parameter of its address; values left at their "
    "default stay out of the address, so links stay short.\n"
    "- A link with a value a page cannot use (junk, out of range) still opens: the page clamps or "
    "replaces the value and says which parameter it changed.\n"
    "- **Try this** presets at the bottom of each page are just such links.\n"
    "- Training is seeded: a link with the same settings reproduces the same run, epoch by epoch; "
    "a link that names an epoch reopens the run at that epoch."
)

st.subheader("This machine")
info = device.describe()  # imports torch: kept last so the page paints first
c1, c2 = st.columns(2)
c1.metric("Compute device", info["device"].upper() + (f" · {info['name']}" if "name" in info else ""))
c1.caption(f"Chosen CUDA → MPS → CPU; set `{device.ENV}=cpu|cuda|mps` to override"
           + (f" (now `{info['override']}`)." if info["override"] else ".")
           + f" Torch threads per process: {info['torch_threads']}.")
c2.table({"library": list(device.versions()), "version": list(device.versions().values())})
