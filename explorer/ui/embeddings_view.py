"""The latent-space explorer's controls table, cached computations and sections."""
from __future__ import annotations

import numpy as np
import streamlit as st

from explorer.engines import embeddings as emb
from explorer.engines import latent_sources as srcs
from explorer.engines import projection
from explorer.engines.device import cap_threads
from explorer.ui import hover_gallery
from explorer.ui.cached import memo
from explorer.ui.params import Param
from explorer.viz import embeddings as vz
from explorer.viz import images as vimg
from explorer.viz import theme

PAGE = "embeddings"
SOURCES, UNAVAILABLE = srcs.available()
SOURCE_LABEL = {s.id: s.label for s in SOURCES}
MAX_LAYER = 24
SIZES = (100, 250, 500, 1000, 2000, 5000)
PERPLEXITIES = (5, 10, 20, 30, 50)
NEIGHBOURS = (5, 10, 15, 30, 50, 100)
METHOD_LABEL = {"pca": "PCA", "tsne": "t-SNE", "umap": "UMAP"}
COLOURS = ("label", "pred", "error", "correct", "split", "kept")
COLOUR_LABEL = {"label": "true label", "pred": "prediction", "error": "error (loss)", "correct": "right / wrong",
                "split": "train / test", "kept": "neighbours kept"}
GALLERY_MAX = 40
NEAR_K = 8
PLAYGROUND_RUN = "_run:playground"
ERROR_SCALE = [[0.0, "#d5dae1"], [0.35, "#f4a259"], [1.0, "#b2182b"]]  # faint when right, loud when wrong


def class_colors(loaded: srcs.Loaded) -> list[str] | None:
    """The Playground's own orange/blue for its two classes; else the theme's palette."""
    if loaded.ex.kind == "points" and len(loaded.ex.classes) == 2:
        return [theme.NEGATIVE, theme.POSITIVE]
    return None

SPEC = [
    Param("src", "Model", "choice", "lenet-mnist", choices=tuple(SOURCE_LABEL), fmt=SOURCE_LABEL.get,
          help="Any model trained in the app. LeNet trains on first use in seconds; the other zoo models take a "
               "minute or two once (then they are cached on disk)."),
    Param("layer", "Layer", "int", 0, lo=0, hi=MAX_LAYER,
          help="0 = the model's code (the penultimate features of a classifier, an autoencoder's latent); "
               "1, 2, … count the layers from the input."),
    Param("method", "Projection", "choice", "pca", choices=emb.METHODS, widget="segmented", fmt=METHOD_LABEL.get,
          help="PCA: the best linear 2-D view (exact, instant). t-SNE and UMAP: non-linear maps that keep "
               "neighbourhoods (seconds; UMAP compiles once per server process)."),
    Param("n", "Points", "choice", 1000, choices=SIZES, widget="select_slider", fmt=lambda v: f"{v:,}",
          help="The first N inputs of the model's data (for the zoo: the 1,000 test images first)."),
    Param("perp", "t-SNE perplexity", "choice", 30, choices=PERPLEXITIES, widget="select_slider",
          help="Roughly how many neighbours each point tries to keep close: small = local detail, large = global."),
    Param("nn", "UMAP neighbours", "choice", 15, choices=NEIGHBOURS, widget="select_slider",
          help="How large a neighbourhood UMAP's graph uses: small = fine clusters, large = global shape."),
    Param("colour", "Colour by", "choice", "label", choices=COLOURS, fmt=COLOUR_LABEL.get,
          help="Error: each point's cross-entropy −log p(true class). Neighbours kept: the share of a point's "
               "10 nearest neighbours in the layer that stay among its 10 nearest on the map."),
    Param("pt", "Chosen point #", "int", -1, lo=-1, hi=emb.MAX_N - 1, widget="number",
          help="Click a point on the map to choose it (−1: none); its input and its nearest neighbours in the "
               "layer are shown below the map."),
    Param("seed", "Seed", "int", 0, lo=0, hi=999, widget="number",
          help="UMAP's random start and the Playground model's data (t-SNE starts from the PCA map, so the "
               "seed does not change it)."),
]
BY_NAME = {p.name: p for p in SPEC}


# -- sources -----------------------------------------------------------------------------------------
@memo(16)
def _load(src: str, seed: int, _progress=None) -> srcs.Loaded:
    cap_threads()
    return srcs.load(src, seed, progress=_progress)


def needs_training(src: str) -> bool:
    return src in srcs.SOURCES and srcs.needs_training(src)


def my_playground() -> srcs.Loaded | None:
    """The session's live Playground run wrapped for the explorer (None when there is none)."""
    run = st.session_state.get(PLAYGROUND_RUN)
    tr = getattr(run, "trainer", None)
    if tr is None or not hasattr(tr, "theta"):
        return None
    key = (id(tr), tr.epoch)
    held = st.session_state.get("_emb_mine")
    if held is None or held[0] != key:
        note = (f"Your own Playground run in this session, as it is now (epoch {tr.epoch:,}; test loss "
                f"{tr.snapshot.test_loss:.3g}). Train it further on the Playground page and come back to see the "
                "map change.")
        held = (key, srcs.playground_explorable(tr.cfg, tr.theta.copy(), tr.data,
                                                f"your Playground model, epoch {tr.epoch:,}", note))
        st.session_state["_emb_mine"] = held
    return held[1]


def load(src: str, seed: int) -> tuple[srcs.Loaded, str]:
    """(the source, its cache token): ``mine`` → the live run (falls back to the default
    Playground model with a note when there is none), a zoo model → trained first when needed
    (with a progress bar)."""
    if src == "mine":
        got = my_playground()
        if got is not None:
            return got, f"mine:{st.session_state['_emb_mine'][0]}"
        st.info("There is no Playground run in this session yet: open **Playground**, press ▶ Play for a while, then "
                "come back. Meanwhile this shows the default Playground model.", icon="🧪")
        src = "playground"
    if src in srcs.SOURCES and srcs.SOURCES[src].arch and not srcs.zoo.is_cached(srcs.SOURCES[src].arch,
                                                                                   srcs.SOURCES[src].dataset):
        s = srcs.SOURCES[src]
        bar = st.progress(0.0, text=f"Training the reference {srcs.zoo.INFO[s.arch].label} on {s.dataset} once "
                                    "(then it is cached on disk for everyone)…")
        got = _load(src, seed, _progress=lambda f, *_: bar.progress(min(1.0, float(f))))
        bar.empty()
        return got, src
    if SOURCES_BY_ID.get(src) is not None and SOURCES_BY_ID[src].module:
        with st.spinner(f"Opening {SOURCE_LABEL[src]} (trained once per server process)…"):
            return _load(src, seed), src
    return _load(src, seed), src


SOURCES_BY_ID = {s.id: s for s in SOURCES}


def tap_index(loaded: srcs.Loaded, layer: int) -> int:
    """The tap a ``layer`` value means: 0 → the source's default, k → the k-th from the input."""
    return loaded.auto_tap if layer == 0 else min(layer, len(loaded.ex.taps)) - 1


def layer_label(loaded: srcs.Loaded, layer: int) -> str:
    i = tap_index(loaded, layer)
    name = loaded.ex.taps[i][0]
    return f"auto: {name}" if layer == 0 else f"{layer} · {name}"


# -- cached compute ----------------------------------------------------------------------------------
@memo(4)  # a conv layer of 5,000 images is ≈ 100 MB: keep few
def activations(token: str, tap: int, n: int, _loaded: srcs.Loaded | None = None) -> np.ndarray:
    cap_threads()
    ex = _loaded.ex
    return emb.activations(ex.model, ex.taps[tap][1], ex.x[:n], forward=ex.forward)


@memo(16)
def predictions(token: str, n: int, _loaded: srcs.Loaded | None = None) -> emb.Predictions | None:
    ex = _loaded.ex
    if ex.predict is None:
        return None
    cap_threads()
    return emb.predictions(ex.predict, ex.x[:n], ex.y[:n])


@memo(32)
def embedding(token: str, tap: int, cfg: emb.Config, _z: np.ndarray | None = None) -> emb.Embedding:
    cap_threads()
    return emb.embed(_z, cfg)


@memo(32)
def faithfulness(token: str, tap: int, cfg: emb.Config, _z=None, _xy=None) -> emb.Faithfulness:
    return emb.faithfulness(_z, _xy, cfg.k, cfg.seed)


def project(token: str, tap: int, cfg: emb.Config, z: np.ndarray) -> emb.Embedding:
    """The cached map, with a visible state while UMAP compiles or t-SNE/UMAP run."""
    if cfg.method == "umap" and not projection.umap_is_warm(len(z)):
        with st.status(f"Compiling UMAP once for this server process and maps of {len(z):,} points "
                       "(10–30 s; every later map takes seconds)…", expanded=False) as status:
            projection.warm_umap(len(z))
            status.update(label="UMAP compiled: it stays ready for every user of this server.", state="complete")
    if cfg.method != "pca":
        with st.spinner(f"Projecting {len(z):,} points with {METHOD_LABEL[cfg.method]}…"):
            return embedding(token, tap, cfg, _z=z)
    return embedding(token, tap, cfg, _z=z)


@memo(8)
def sprite(token: str, n: int, _loaded: srcs.Loaded | None = None) -> tuple[str, int, int, int]:
    return hover_gallery.sprite(_loaded.ex.x[:n])


def hover_preview(chart_key: str, token: str, loaded: srcs.Loaded, n: int, pred: emb.Predictions | None) -> None:
    """The hovered point's input beside the map (image sources only)."""
    ex = loaded.ex
    caps = []
    for i in range(n):
        t = f"#{i} · label {ex.classes[int(ex.y[i])]}"
        if pred is not None:
            t += f"\npredicted {ex.classes[int(pred.pred[i])]} · loss {pred.loss[i]:.3g}"
        caps.append(t)
    hover_gallery.hover_preview(chart_key, sprite(token, n, _loaded=loaded), caps)


def config(v: dict, n: int) -> emb.Config:
    return emb.Config(n=n, method=v["method"], perplexity=float(v["perp"]), n_neighbors=int(v["nn"]),
                      seed=int(v["seed"]))


# -- selection -----------------------------------------------------------------------------------------
def clicked(chart_key: str) -> list[int]:
    """Indices (customdata) of the points selected on the map in the last interaction."""
    state = st.session_state.get(chart_key)
    try:
        points = state["selection"]["points"]
    except (KeyError, TypeError):
        return []
    out = []
    for p in points:
        cd = p.get("customdata")
        if isinstance(cd, (list, tuple)):
            cd = cd[0] if cd else None
        if isinstance(cd, (int, float)) and np.isfinite(cd):
            out.append(int(cd))
    return list(dict.fromkeys(out))


def take_click(chart_key: str) -> list[int]:
    """Before the widgets are drawn: a single clicked point becomes the chosen point (``pt``).
    Returns the current selection (indices)."""
    sel = clicked(chart_key)
    mark = st.session_state.get("_emb_last_sel")
    if sel != mark:
        st.session_state["_emb_last_sel"] = sel
        if len(sel) == 1:
            st.session_state["pt"] = sel[0]
    return sel


# -- the sections ----------------------------------------------------------------------------------------
def colour_args(colour: str, loaded: srcs.Loaded, n: int, pred: emb.Predictions | None,
                faith: emb.Faithfulness | None) -> tuple[dict, str, str]:
    """(keyword arguments of :func:`vz.map_figure`, the colour actually used, a note)."""
    ex = loaded.ex
    names = list(ex.classes)
    note = ""
    if colour in ("pred", "error", "correct") and pred is None:
        note, colour = f"{ex.label} makes no class prediction: colouring by label.", "label"
    if colour == "split" and loaded.is_test is None:
        note, colour = f"{ex.label} does not say which inputs it trained on: colouring by label.", "label"
    if colour == "pred":
        return dict(categories=pred.pred, names=names, colors=class_colors(loaded)), colour, note
    if colour == "error":
        hi = float(np.quantile(pred.loss, 0.99)) if len(pred.loss) else 1.0
        return dict(scale=pred.loss, scale_title="loss (nats)", scale_range=(0.0, max(hi, 1e-6)),
                    colorscale=ERROR_SCALE), colour, note
    if colour == "correct":
        return dict(categories=(~pred.correct).astype(int), names=["right", "wrong"]), colour, note
    if colour == "split":
        return dict(categories=loaded.is_test[:n].astype(int), names=["train", "test"]), colour, note
    if colour == "kept":
        kept = np.full(n, np.nan)
        kept[faith.idx] = faith.kept
        return dict(scale=kept, scale_title=f"share of {faith.k} neighbours kept", scale_range=(0.0, 1.0),
                    colorscale="RdYlBu"), colour, note
    return dict(categories=ex.y[:n], names=names, colors=class_colors(loaded)), "label", note


def hover(loaded: srcs.Loaded, n: int, pred: emb.Predictions | None) -> list[str]:
    ex = loaded.ex
    names = list(ex.classes)
    labels = [names[int(c)] for c in ex.y[:n]]
    extra = None
    if loaded.is_test is not None:
        extra = ["test" if t else "train" for t in loaded.is_test[:n]]
    if pred is None:
        return vz.hover_text(np.arange(n), labels, extra=extra)
    return vz.hover_text(np.arange(n), labels, [names[int(c)] for c in pred.pred], pred.loss, extra)


def captions(loaded: srcs.Loaded, idx, pred: emb.Predictions | None) -> list[str]:
    ex = loaded.ex
    out = []
    for i in idx:
        t = f"#{int(i)} {ex.classes[int(ex.y[i])]}"
        if pred is not None and pred.pred[i] != ex.y[i]:
            t += f"→{ex.classes[int(pred.pred[i])]}"
        out.append(t)
    return out


def gallery(loaded: srcs.Loaded, idx: np.ndarray, title: str, key: str, pred: emb.Predictions | None,
            focus: int | None = None, near: np.ndarray | None = None, selected: np.ndarray | None = None) -> None:
    """Thumbnails of the inputs ``idx`` (images), or the input plane with them marked (points)."""
    ex = loaded.ex
    if ex.kind == "image":
        st.plotly_chart(vimg.image_grid(ex.x[idx], captions(loaded, idx, pred), ncols=10, title=title, tile_px=72,
                                        scale=3), key=key, config={"displayModeBar": False})
    else:
        n = len(pred.pred) if pred is not None else None
        n = n or int(max(np.max(idx, initial=0) + 1, len(ex.x)))
        st.plotly_chart(vz.input_plane_figure(ex.x[:n], ex.y[:n], list(ex.classes), title, focus=focus, near=near,
                                              selected=selected if selected is not None else idx,
                                              colors=class_colors(loaded)),
                        key=key, config={"displayModeBar": False})


def selection_summary(loaded: srcs.Loaded, sel: np.ndarray, pred: emb.Predictions | None) -> str:
    ex = loaded.ex
    counts = np.bincount(ex.y[sel], minlength=len(ex.classes))
    top = np.argsort(counts)[::-1][:3]
    parts = [f"{ex.classes[c]} {100 * counts[c] / len(sel):.0f} %" for c in top if counts[c]]
    text = f"**{len(sel):,} selected** · labels: " + ", ".join(parts)
    if pred is not None:
        text += f" · accuracy {100 * pred.correct[sel].mean():.0f} % · mean loss {pred.loss[sel].mean():.3g}"
    return text
