"""The latent-space explorer (§ interpretability): any model trained in the app, any layer, PCA / t-SNE / UMAP."""
import numpy as np
import streamlit as st

from explorer.engines import embeddings as emb
from explorer.engines import latent_sources as srcs
from explorer.ui import embeddings_view as view
from explorer.ui import layout, params

MAP = "chart_map"
layout.header(view.PAGE, "Pick a model and a layer, project its activations to 2-D, colour them by label, "
              "prediction or error — then click a point (or lasso a group) to see the inputs behind it and its true "
              "nearest neighbours.")
params.show_notices(params.sync_from_url(view.PAGE, view.SPEC))
selection = view.take_click(MAP)
W = view.BY_NAME
v = params.current(view.SPEC)

loaded, token = view.load(v["src"], v["seed"])
ex = loaded.ex
n_taps, n = len(ex.taps), min(v["n"], len(ex.x))
notes = []
if v["layer"] > n_taps:
    notes.append(f"{ex.label} has {n_taps} layers to show; layer {v['layer']} does not exist, so this shows its code.")
    st.session_state["layer"] = 0
if v["pt"] >= n:
    notes.append(f"Point #{v['pt']} is not among the {n:,} shown.")
    st.session_state["pt"] = -1

with st.sidebar:
    st.header("Model and layer")
    params.widget(W["src"])
    for sid, why in view.UNAVAILABLE.items():
        st.info(f"{srcs.SOURCES[sid].label} is not offered: {why}.", icon="ℹ️")
    st.selectbox(W["layer"].label, options=list(range(n_taps + 1)), key="layer", help=W["layer"].help,
                 format_func=lambda k: view.layer_label(loaded, k))
    st.header("Projection")
    params.widget(W["method"])
    params.widget(W["n"])
    params.widget(W["perp"], disabled=v["method"] != "tsne")
    params.widget(W["nn"], disabled=v["method"] != "umap")
    params.widget(W["seed"])
    st.header("View")
    params.widget(W["colour"])
    params.widget(W["pt"])
v = params.current(view.SPEC)
query = params.sync_to_url(view.PAGE, view.SPEC)
top = st.columns([4, 1])
params.share_box(query, view.PAGE, top[1])
top[0].caption(ex.note or ex.label)
if n < v["n"]:
    notes.append(f"All {len(ex.x):,} inputs of this model are shown.")
for note in notes:
    st.caption("ℹ️ " + note)

tap = view.tap_index(loaded, v["layer"])
cfg = view.config(v, n)
try:
    z = view.activations(token, tap, n, _loaded=loaded)
    pred = view.predictions(token, n, _loaded=loaded)
    em = view.project(token, tap, cfg, z)
    faith = view.faithfulness(token, tap, cfg, _z=z, _xy=em.xy)
except ValueError as e:
    st.error(f"This layer cannot be projected: {e}", icon="🚫")
    st.stop()

c = st.columns(5)
c[0].metric("Layer width", f"{em.dims:,}", help=f"{ex.taps[tap][0]}: each input becomes a vector of this many numbers.")
c[1].metric("Accuracy", f"{100 * pred.accuracy:.1f} %" if pred is not None else "—",
            help="On the points shown.")
c[2].metric("Trustworthiness", f"{faith.trust:.3f}",
            help=f"T({faith.k}) on {len(faith.idx):,} points: 1 = every neighbour on the map is a true neighbour "
                 "in the layer.")
c[3].metric(f"{faith.k}-NN kept", f"{100 * faith.kept_mean:.0f} %",
            help=f"The average share of a point's {faith.k} nearest neighbours in the layer that stay among its "
                 f"{faith.k} nearest on the map.")
c[4].metric("Projection time", f"{em.seconds:.2f} s",
            help="Cached: the same model, layer, method and settings reopen instantly.")

kw, used, note = view.colour_args(v["colour"], loaded, n, pred, faith)
if note:
    st.caption("ℹ️ " + note)
focus = v["pt"] if v["pt"] >= 0 else None
near = emb.neighbours(z, focus, view.NEAR_K) if focus is not None else None
method = view.METHOD_LABEL[cfg.method]
if cfg.method == "pca":
    axes = [f"PC{i + 1} ({100 * em.explained[i]:.1f} % of the variance)" for i in range(2)]
else:
    axes = [f"{method} 1", f"{method} 2"]
reduced = f", via PCA to {em.reduced_to}" if em.reduced_to < em.dims else ""
title = f"{ex.label} · {ex.taps[tap][0]} ({em.dims:,}-d{reduced}) → {method}, {n:,} points"
fig = view.vz.map_figure(em.xy, view.hover(loaded, n, pred), title, axes[0], axes[1], focus=focus, near=near,
                         near_label=f"its {view.NEAR_K} nearest neighbours in the layer", **kw)
if ex.kind == "image":
    cmap, cprev = st.columns([5, 1])
    with cmap:
        st.plotly_chart(fig, key=MAP, on_select="rerun", selection_mode=("points", "box", "lasso"))
    with cprev:
        st.write("")
        view.hover_preview(MAP, token, loaded, n, pred)
else:
    st.plotly_chart(fig, key=MAP, on_select="rerun", selection_mode=("points", "box", "lasso"))
st.caption("Hover a point to read its label, prediction and loss. **Click** a point to choose it (its input and its "
           "nearest neighbours in the layer appear below, ringed on the map); pick the **box or lasso** tool at the chart's top right "
           "and circle a group to see its inputs. Rings far from the star mean the map tore that neighbourhood apart.")

sel = np.array([i for i in selection if i < n], dtype=int)
if focus is not None:
    st.subheader(f"Point #{focus} and its {view.NEAR_K} nearest neighbours in the layer")
    same = int((ex.y[near] == ex.y[focus]).sum())
    view.gallery(loaded, np.concatenate([[focus], near]), "", "chart_focus", pred, focus=focus, near=near,
                 selected=np.array([], dtype=int))
    st.caption(f"The first tile is the chosen input; the others are its nearest neighbours by Euclidean distance in the "
               f"{em.dims:,}-d layer — {same} of {len(near)} share its label. Clear the choice with "
               "“Chosen point # = −1”.")
if len(sel) > 1:
    st.subheader("Your selection")
    st.markdown(view.selection_summary(loaded, sel, pred))
    view.gallery(loaded, sel[:view.GALLERY_MAX], "", "chart_selection", pred)
    if len(sel) > view.GALLERY_MAX:
        st.caption(f"The first {view.GALLERY_MAX} of {len(sel):,} selected inputs.")
elif focus is None and pred is not None:
    worst = np.argsort(pred.loss)[::-1][:20]
    st.subheader("The hardest inputs for this model")
    view.gallery(loaded, worst, "", "chart_hardest", pred)
    st.caption("The 20 points with the highest loss (label → prediction under each image). Colour by error to find "
               "them on the map: do they sit inside another class's cluster, or between clusters?")

layout.explain("projecting a layer to 2-D", [
    "A layer turns each input into a vector h ∈ ℝᴰ (a feature map is flattened). Stacking N of them gives "
    "Z ∈ ℝᴺˣᴰ; a projection maps every row to a point in the plane.",
    "**PCA** keeps the two orthogonal directions of largest variance — the top eigenvectors of the covariance:",
    ("latex", r"C = \tfrac{1}{N}(Z-\bar Z)^\top (Z-\bar Z), \qquad y_i = (z_i-\bar z)^\top [\,v_1\; v_2\,]"),
    "It is linear and exact: distances along those two axes are true, but clusters that differ only in other "
    "directions overlap.",
    "**t-SNE** matches neighbour probabilities: Gaussian affinities p in the layer (bandwidth set by the "
    "perplexity) against heavy-tailed Student-t affinities q on the map, minimizing",
    ("latex", r"\mathrm{KL}(P\,\|\,Q) = \sum_{i\ne j} p_{ij}\log\frac{p_{ij}}{q_{ij}},\qquad "
              r"q_{ij} \propto \big(1+\|y_i-y_j\|^2\big)^{-1}"),
    "**UMAP** builds a fuzzy k-nearest-neighbour graph and lays it out by cross-entropy between the graph's edge "
    "weights and the map's. Both keep neighbourhoods, not distances: cluster sizes and the gaps between "
    "clusters on their maps mean little.",
    "**How far to trust a map.** Trustworthiness (Venna & Kaski 2001) punishes points that look close on the map "
    "but are not among each other's k nearest in the layer, by how far down the true ranking r(i, j) they are:",
    ("latex", r"T(k) = 1 - \frac{2}{Nk(2N-3k-1)}\sum_i \sum_{j\in U_k(i)} \big(r(i,j)-k\big)"),
    "k-NN kept is the share of each point's k nearest neighbours in the layer that are still among its k nearest "
    "on the map. Wide layers (above 50 dimensions) are reduced by PCA before t-SNE and UMAP, as usual.",
    "**Error** is each example's cross-entropy −log p(true class) in nats: 0 for a confident right answer, "
    "large for a confident wrong one.",
])
layout.presets(view.PAGE, [
    ("Digits untangle with depth", "LeNet's first conv layer under PCA: the classes still overlap.",
     {"layer": "1"}),
    ("The code under t-SNE", "LeNet's penultimate features with t-SNE: ten clean islands.",
     {"method": "tsne"}),
    ("Where the mistakes live", "UMAP of LeNet's code on 2,000 digits, coloured by loss.",
     {"method": "umap", "n": "2000", "colour": "error"}),
    ("How faithful is PCA?", "Colour each point by how many of its neighbours PCA kept.",
     {"colour": "kept"}),
    ("Train vs test", "Do unseen test digits land in the same clusters as training digits?",
     {"colour": "split", "n": "5000"}),
    ("Inside the Playground", "The Playground's 4-2 network maps the circle so a line can split it.",
     {"src": "playground"}),
    ("Shapes", "LeNet trained on coloured shapes: its code under t-SNE.",
     {"src": "lenet-shapes", "method": "tsne"}),
])
