"""The LIME & SHAP page's controls table, cached explanations and sections."""
from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import streamlit as st

from explorer.engines import explainers as ex
from explorer.engines import explainers_images as ei
from explorer.engines import explainers_tabular as et
from explorer.engines import image_io, zoo
from explorer.engines.device import cap_threads
from explorer.ui import uploads
from explorer.ui.cached import memo
from explorer.ui.params import Param
from explorer.viz import explainers as vz

PAGE = "explainers"
DATA_LABEL = {"cancer": "Breast cancer", "wine": "Wine"}
LIME_N = (100, 250, 500, 1000, 2000, 5000)
SHAP_N = (50, 100, 200, 500, 1000, 2000, 5000)
BG = (1, 5, 10, 20, 50, 100)
NSEG = (9, 16, 25, 36, 49)
LIMG_N = (100, 250, 500, 1000, 2000)
TOP_K = 5
IMG_SHAP_MAX = 500  # Gradient SHAP on a digit costs ≈10 ms per sample: capped for the image
MANY_ROWS = 40
DEPTHS = tuple(range(1, 11))
TREE_LEVELS = 4  # levels drawn; deeper ones are folded
EXACT_MAX_FEATURES = 13  # exact Shapley values on the page: wine's 2^13 coalitions, not cancer's 2^30
ARCH, DATASET = "lenet", "mnist"
UPLOAD_KEY = "exp_upload"
SEEDS = 5  # runs of the seed-stability check
TAB_SHAP = {"kernel": "Kernel SHAP (model-agnostic)", "deep": "Deep SHAP (DeepLIFT)",
            "gradient": "Gradient SHAP (expected gradients)"}
IMG_SHAP = {"deep": "Deep SHAP (DeepLIFT)", "gradient": "Gradient SHAP (expected gradients)"}

SPEC = [
    Param("data", "Table", "choice", "cancer", choices=et.DATASETS, widget="segmented", fmt=DATA_LABEL.get,
          help="sklearn's breast-cancer table (30 measurements of a tumour, malignant or benign) or its wine table "
               "(13 chemical measurements, three cultivars)."),
    Param("row", "Test row #", "int", 0, lo=0, hi=142, widget="number",
          help="A row the network never trained on (breast cancer: 143 test rows, wine: 45)."),
    Param("lime_n", "LIME samples", "choice", 1000, choices=LIME_N, widget="select_slider",
          help="Perturbed rows LIME labels with the network and fits its local linear model on."),
    Param("disc", "LIME on quartile bins (its default)", "bool", True,
          help="On: each feature becomes 'is it in x's quartile?' and the weights read as rules. Off: standardized "
               "values, contribution = weight × value."),
    Param("shap", "SHAP explainer for the table", "choice", "kernel", choices=ex.SHAP_KINDS, fmt=TAB_SHAP.get),
    Param("shap_n", "SHAP samples", "choice", 500, choices=SHAP_N, widget="select_slider",
          help="Kernel SHAP: coalitions it evaluates. Gradient SHAP: gradient samples (at most 500 on the image). "
               "Deep SHAP needs none."),
    Param("bg", "SHAP background size", "choice", 20, choices=BG, widget="select_slider",
          help="Training rows (or images) that stand in for 'feature absent': SHAP explains f(x) − E[f(background)]."),
    Param("depth", "Surrogate tree depth", "int", 3, lo=1, hi=10),
    Param("img", "MNIST test image #", "int", 6, lo=0, hi=999, widget="number"),
    Param("cls", "Explain the class", "choice", -1, choices=(-1,) + tuple(range(10)),
          fmt=lambda t: "the predicted one" if t < 0 else f"{t}",
          help="Why a 2 — or why not a 7? Every method explains P(this class | image)."),
    Param("seg", "Superpixels", "choice", "slic", choices=ei.SEGMENTERS, widget="segmented",
          fmt={"slic": "SLIC", "grid": "grid"}.get,
          help="SLIC clusters pixels by intensity and position (regions follow the strokes); grid: equal squares."),
    Param("nseg", "About how many regions", "choice", 25, choices=NSEG, widget="select_slider"),
    Param("limg_n", "LIME samples (image)", "choice", 500, choices=LIMG_N, widget="select_slider",
          help="Images with random sets of regions blacked out."),
    Param("shap_img", "SHAP explainer for the image", "choice", "deep", choices=ei.SHAP_KINDS, fmt=IMG_SHAP.get),
    Param("ibg", "SHAP reference image", "choice", "train", choices=ei.BASELINES, widget="segmented",
          fmt={"train": "training images", "black": "black (as LIME)"}.get,
          help="What 'a pixel is absent' means to SHAP: a sample of training digits (the background size above) "
               "or one black image — LIME's choice when it hides a region."),
    Param("seed", "Seed", "int", 0, lo=0, hi=999, widget="number",
          help="The network's initial weights, LIME's and SHAP's sampling and the background rows."),
]
BY_NAME = {p.name: p for p in SPEC}


# -- configs ---------------------------------------------------------------------------------------------------
def tab_config(v: dict) -> et.Config:
    return et.Config(dataset=v["data"], seed=int(v["seed"]))


def budget(v: dict) -> ex.Config:
    return ex.Config(lime_samples=int(v["lime_n"]), shap_samples=int(v["shap_n"]), background=int(v["bg"]),
                     discretize=bool(v["disc"]), shap=v["shap"], seed=int(v["seed"]))


def image_config(v: dict) -> ei.Config:
    return ei.Config(segmenter=v["seg"], segments=int(v["nseg"]), lime_samples=int(v["limg_n"]), shap=v["shap_img"],
                     shap_samples=min(int(v["shap_n"]), IMG_SHAP_MAX), background=int(v["bg"]), baseline=v["ibg"],
                     seed=int(v["seed"]))


# -- cached compute ------------------------------------------------------------------------------------------------
@st.cache_resource(max_entries=8, show_spinner=False)
def model(cfg: et.Config) -> et.TabModel:
    cap_threads()
    return et.train(cfg)


@st.cache_resource(max_entries=32, show_spinner=False)
def surrogate(cfg: et.Config, depth: int, seed: int) -> ex.Surrogate:
    return ex.fit_surrogate(model(cfg), depth, seed)


@st.cache_data(max_entries=8, show_spinner=False)
def fidelity_curve(cfg: et.Config) -> dict:
    return ex.fidelity_curve(model(cfg), DEPTHS, cfg.seed)


@st.cache_data(max_entries=64, show_spinner=False)
def explain_row(cfg: et.Config, row: int, b: ex.Config, depth: int) -> ex.RowExplanation:
    cap_threads()
    m = model(cfg)
    return ex.explain_row(m, m.data.x_test[row], b, surrogate(cfg, depth, cfg.seed))


@st.cache_data(max_entries=32, show_spinner=False)
def exact_values(cfg: et.Config, row: int, target: int, background: int, seed: int) -> np.ndarray:
    m = model(cfg)
    return ex.exact_shapley(lambda a: m.predict_proba(a)[:, target], m.data.x_test[row],
                            ex.background(m, background, seed))


@memo(8)
def compare_rows(cfg: et.Config, b: ex.Config, depth: int, _progress=None) -> ex.RowsComparison:
    cap_threads()
    m = model(cfg)
    rows = np.linspace(0, len(m.data.y_test) - 1, min(MANY_ROWS, len(m.data.y_test))).round().astype(int)
    return ex.compare_rows(m, rows, b, surrogate(cfg, depth, cfg.seed), TOP_K, progress=_progress)


@st.cache_resource(max_entries=1, show_spinner=False)
def _prob_net():
    return ei.prob_net(zoo.reference_model(ARCH, DATASET))


def image_net():
    """LeNet as images → probabilities (a private copy of the zoo's reference, never trained here);
    the reference is trained first, with a progress bar, when this server has none yet."""
    cap_threads()
    if not zoo.is_cached(ARCH, DATASET):
        bar = st.progress(0.0, text="Training the reference LeNet on MNIST once (about 15 s; then it is cached)…")
        zoo.reference_model(ARCH, DATASET, progress=lambda f, *_: bar.progress(min(1.0, float(f))))
        bar.empty()
    return _prob_net()


@st.cache_data(max_entries=32, show_spinner=False)
def explain_image(source: str, cfg: ei.Config, target: int, _x=None, _net=None) -> ei.ImageExplanation:
    """Every method on one image (keyed by ``source``, e.g. "test:6" or an upload's digest);
    ``target`` −1 explains the predicted class."""
    cap_threads()
    return ei.explain_image(_net, _x, zoo.data_for(DATASET).x_train, cfg, None if target < 0 else target)


@memo(16)
def seed_runs(cfg: et.Config, row: int, b: ex.Config, _progress=None) -> np.ndarray:
    """LIME's and SHAP's contributions for ``row`` under seeds 0..SEEDS−1: [SEEDS, 2, D]."""
    cap_threads()
    m = model(cfg)
    x = m.data.x_test[row]
    target = int(m.predict(x)[0])
    out = []
    for s in range(SEEDS):
        bs = ex.Config(lime_samples=b.lime_samples, shap_samples=b.shap_samples, background=b.background,
                       discretize=b.discretize, shap=b.shap, seed=s)
        lime = ex.lime_tabular(m.predict_proba, m.data.x_train, x, target, m.data.features, bs.lime_samples, s,
                               bs.discretize)
        out.append([lime.contrib, ex.shap_tabular(m, x, target, bs).values])
        if _progress:
            _progress((s + 1) / SEEDS)
    return np.asarray(out)


def image_choice(v: dict) -> tuple[np.ndarray, int, str, str]:
    """(image [1, 28, 28], true label or −1, a caption, a cache key): an upload when there is a good
    one, else test image ``img``."""
    up = uploads.image_uploader("Or upload your own digit", key=UPLOAD_KEY, spec=image_io.SPECS["mnist"])
    d = zoo.data_for(DATASET)
    if up is not None:
        digest = hashlib.sha1(np.ascontiguousarray(up.x).tobytes()).hexdigest()[:16]
        note = ", colours inverted (MNIST is light ink on black)" if up.inverted else ""
        return up.x, -1, f"your {up.format} image ({up.width}×{up.height}{note})", f"upload:{digest}"
    idx = int(v["img"])
    return d.x_test[idx], int(d.y_test[idx]), f"Test image #{idx} (true {d.classes[int(d.y_test[idx])]})", \
        f"test:{idx}"


# -- sections ------------------------------------------------------------------------------------------------------
def method_names(b: ex.Config) -> list[str]:
    return ["LIME" + (" (quartile bins)" if b.discretize else " (continuous)"), ex.SHAP_LABEL[b.shap],
            "gradient × input", "surrogate tree path"]


def row_section(cfg: et.Config, row: int, b: ex.Config, depth: int) -> ex.RowExplanation:
    m = model(cfg)
    d = m.data
    with st.spinner("Explaining the row…"):
        r = explain_row(cfg, row, b, depth)
    cls = d.classes
    c = st.columns(4)
    c[0].metric("Network's test accuracy", f"{100 * m.test_acc:.1f} %",
                help=f"A 2-layer MLP ({cfg.hidden} ReLU units each) trained on {len(d.y_train)} rows; "
                     f"training accuracy {100 * m.train_acc:.1f} %.")
    c[1].metric(f"Prediction (P = {100 * r.probs[r.target]:.1f} %)", cls[r.target],
                help="The class every method explains: f(x) = P(this class | x).")
    truth = int(d.y_test[row])
    c[2].metric("True class", cls[truth], delta="right" if truth == r.target else "wrong",
                delta_color="normal" if truth == r.target else "inverse")
    c[3].metric("LIME + SHAP time", f"{r.lime.seconds:.2f} + {r.shap.seconds:.2f} s",
                help="Wall time of each explanation at the budgets in the sidebar (cached afterwards).")
    with st.expander(f"The row's {len(d.features)} feature values"):
        st.dataframe(pd.DataFrame({"feature": d.features, "value": r.x, "training mean": d.mean,
                                   "z (standardized)": (r.x - d.mean) / d.std}), hide_index=True)
    names = method_names(b)
    st.plotly_chart(vz.contributions_figure(list(d.features), r.attrs, names, target=cls[r.target],
                                            title_row=f"Test row #{row}",
                                            x_titles=["Δ P (LIME)", "φ (SHAP)", "∂P/∂z · z", "Δ P along the path"]),
                    key="chart_contrib")
    st.caption("Blue bars push P(" + cls[r.target] + ") up, orange bars push it down. Each panel has its own scale: "
               "compare ranks and signs, not lengths across panels. Features sorted by their importance averaged over "
               "the four methods.")
    c = st.columns(2)
    shap_title = f"{ex.SHAP_LABEL[b.shap]}: E[f] + Σφ = f(x)"
    c[0].plotly_chart(vz.waterfall_figure(list(d.features), r.shap.values, r.shap.expected, "E[f(background)]",
                                          r.shap.fx, title=shap_title), key="chart_shap_waterfall")
    lime_names = list(r.lime.conditions)
    c[1].plotly_chart(vz.waterfall_figure(lime_names, r.lime.contrib, r.lime.intercept, "LIME intercept",
                                          r.lime.fx, title="LIME: intercept + Σ weights = its local guess",
                                          end_label="LIME's guess"), key="chart_lime_waterfall")
    err = r.shap.additivity_error
    note = ("exact up to rounding, as Kernel and Deep SHAP guarantee" if b.shap != "gradient"
            else "Gradient SHAP is additive only in expectation: more samples shrink this")
    c[0].caption(f"Local accuracy: E[f] = {r.shap.expected:.4f}, Σφ = {r.shap.values.sum():+.4f}, f(x) = "
                 f"{r.shap.fx:.4f}; the gap is {err:.2g} — {note}.")
    c[1].caption(f"LIME's local model predicts {r.lime.local_pred:.3f} where the network says {r.lime.fx:.3f}; "
                 f"its weighted fit R² is {r.lime.score:.2f} (1 = the line explains the samples perfectly).")
    if b.shap == "kernel" and len(d.features) <= EXACT_MAX_FEATURES:
        exact = exact_values(cfg, row, r.target, b.background, b.seed)
        gap = float(np.abs(exact - r.shap.values).max())
        st.caption(f"Oracle: the exact Shapley values over all 2^{len(d.features)} = {2 ** len(d.features):,} "
                   f"feature coalitions with the same background differ from Kernel SHAP's estimate by at most "
                   f"{gap:.2g} (largest |φ| {np.abs(exact).max():.3g}).")
    return r


def agreement_section(r: ex.RowExplanation, b: ex.Config) -> None:
    rho, over = ex.agreement(r.attrs, TOP_K)
    st.plotly_chart(vz.agreement_figure(method_names(b), rho, over, TOP_K,
                                        title="Where the methods agree on this row"), key="chart_agree_row")
    pairs = [(i, j) for i in range(4) for j in range(i + 1, 4) if np.isfinite(rho[i, j])]
    if pairs:
        lo = min(pairs, key=lambda p: rho[p])
        hi = max(pairs, key=lambda p: rho[p])
        names = method_names(b)
        st.caption(f"Closest: {names[hi[0]]} and {names[hi[1]]} (ρ = {rho[hi]:.2f}); furthest apart: "
                   f"{names[lo[0]]} and {names[lo[1]]} (ρ = {rho[lo]:.2f}). ρ compares the whole ranking of signed "
                   f"contributions; the overlap asks only whether the {TOP_K} largest are the same features. The tree "
                   "uses a handful of features, so most of its contributions are 0 (ties).")


def stability_section(cfg: et.Config, row: int, b: ex.Config, d_features: tuple) -> None:
    """LIME and SHAP rerun with seeds 0..4 at the same budgets, on a button."""
    key = (cfg, row, b)
    if not (st.button(f"Rerun LIME and SHAP with {SEEDS} seeds", key="exp_run_seeds")
            or st.session_state.get("_exp_seeds") == key):
        st.caption("Sampling explainers answer differently with another seed, less so with a bigger budget: "
                   "this reruns both at the sidebar's budgets.")
        return
    bar = st.progress(0.0, text="Rerunning…")
    runs = seed_runs(cfg, row, b, _progress=lambda f: bar.progress(min(1.0, f), text=f"Rerunning… {100 * f:.0f} %"))
    bar.empty()
    st.session_state["_exp_seeds"] = key
    st.plotly_chart(vz.stability_figure(list(d_features), runs, ["LIME", ex.SHAP_LABEL[b.shap]]),
                    key="chart_stability")
    rho = [np.nanmean([ex.rank_corr(runs[i, j], runs[k, j]) for i in range(SEEDS) for k in range(i + 1, SEEDS)])
           for j in range(2)]
    st.caption(f"Mean rank correlation between two seeds: LIME {rho[0]:.2f}, {ex.SHAP_LABEL[b.shap]} {rho[1]:.2f} "
               f"(1 = the same ranking every time). LIME: {b.lime_samples:,} samples; SHAP: "
               + ("no sampling (Deep SHAP is deterministic given the background, which moves with the seed)"
                  if b.shap == "deep" else f"{b.shap_samples:,} samples")
               + f", background {b.background} rows drawn by the seed.")


def tree_section(cfg: et.Config, depth: int, r: ex.RowExplanation, row: int) -> None:
    m = model(cfg)
    s = surrogate(cfg, depth, cfg.seed)
    fc = fidelity_curve(cfg)
    c = st.columns(4)
    c[0].metric("Fidelity (held-out rows)", f"{100 * s.fidelity_test:.1f} %",
                help="Share of test rows where the tree predicts what the network predicts.")
    c[1].metric("Fidelity (training rows)", f"{100 * s.fidelity_train:.1f} %")
    c[2].metric("Tree's accuracy (true labels)", f"{100 * s.acc_test:.1f} %",
                help=f"The network's: {100 * s.net_acc_test:.1f} %.")
    c[3].metric("Leaves", f"{s.n_leaves}")
    st.plotly_chart(vz.fidelity_figure(fc["depth"], fc["fidelity_train"], fc["fidelity_test"], fc["acc_test"],
                                       depth, m.test_acc), key="chart_fidelity")
    n = ex.tree_nodes(s.tree)
    path = ex.decision_path(s.tree, r.x)
    classes = [m.data.classes[int(k)] for k in n.classes]
    st.plotly_chart(vz.tree_figure(n.left, n.right, n.feature, n.threshold, n.samples, n.probs, classes, n.depth,
                                   list(m.data.features), path.tolist(), max_level=TREE_LEVELS,
                                   title=f"The depth-{depth} surrogate tree (test row #{row}'s path in bold)"),
                    key="chart_tree")
    leaf = int(path[-1])
    agree = classes[int(n.probs[leaf].argmax())] == m.data.classes[r.target]
    st.caption(f"Each box: the split (go left when ≤) or, at a leaf, the class; n = training rows reaching it, "
               f"labelled by the *network*. Row #{row} ends in a leaf that says "
               f"**{classes[int(n.probs[leaf].argmax())]}** — the tree {'agrees' if agree else 'disagrees'} with "
               f"the network here." + (f" Levels below {TREE_LEVELS} are folded to keep the drawing readable."
                                       if n.depth.max() > TREE_LEVELS else ""))


def many_rows_section(cfg: et.Config, b: ex.Config, depth: int) -> None:
    key = (cfg, b, depth)
    m = model(cfg)
    n = min(MANY_ROWS, len(m.data.y_test))
    if not (st.button(f"Explain {n} test rows with every method", key="exp_run_rows")
            or st.session_state.get("_exp_rows") == key):
        st.caption(f"Runs on demand: LIME and SHAP on {n} rows at the budgets in the sidebar (a few seconds).")
        return
    bar = st.progress(0.0, text="Explaining rows…")
    res = compare_rows(cfg, b, depth, _progress=lambda f: bar.progress(min(1.0, f), text=f"Explaining rows… "
                                                                                         f"{100 * f:.0f} %"))
    bar.empty()
    st.session_state["_exp_rows"] = key
    names = method_names(b)
    short = ["LIME", "SHAP", "grad×input", "tree"]
    pair_labels = [f"{short[i]} vs {short[j]}" for i, j in res.pairs]
    st.plotly_chart(vz.rows_agreement_figure(pair_labels, res.rho, res.overlap, res.k, len(res.rows)),
                    key="chart_agree_rows")
    med = np.nanmedian(res.rho, axis=0)
    best, worst = int(np.nanargmax(med)), int(np.nanargmin(med))
    st.caption(f"Median ρ over the rows: highest for {pair_labels[best]} ({med[best]:.2f}), lowest for "
               f"{pair_labels[worst]} ({med[worst]:.2f}). The box spans the middle half of the rows; the line is the "
               "median, the dashed line the mean.")
    st.plotly_chart(vz.importance_figure(list(m.data.features), res.importance,
                                         names + ["tree impurity importance"]), key="chart_importance")


def image_section(v: dict, cfg: ei.Config) -> None:
    net = image_net()
    x, label, caption, source = image_choice(v)
    d = zoo.data_for(DATASET)
    with st.spinner("Explaining the digit (LIME, SHAP, gradient × input)…"):
        e = explain_image(source, cfg, int(v["cls"]), _x=x, _net=net)
    cls = d.classes
    t = e.target
    c = st.columns(4)
    pred = int(e.probs.argmax())
    c[0].metric(f"LeNet's prediction (P = {100 * e.probs[pred]:.1f} %)", cls[pred],
                help=caption + ("" if t == pred else f". Explained here: class {cls[t]}, P = {e.probs[t]:.3f}."))
    c[1].metric("LIME's local guess", f"{e.lime.local_pred:.3f}", help=f"Weighted fit R² {e.lime.score:.2f}.")
    c[2].metric(f"{ei.SHAP_LABEL[cfg.shap]}: E[f] + Σφ", f"{e.shap.expected + e.shap.values.sum():.3f}",
                help=f"f(x) = {e.shap.fx:.4f}; gap {e.shap.additivity_error:.2g}.")
    c[3].metric("LIME + SHAP time", f"{e.lime.seconds:.2f} + {e.shap.seconds:.2f} s")
    st.plotly_chart(vz.image_figure(x.mean(0), e.seg, e.lime.weights, e.shap.values, e.grad_input,
                                    title=f"{caption}: why P({cls[t]}) = {e.probs[t]:.2f}",
                                    shap_label=ei.SHAP_LABEL[cfg.shap]), key="chart_image")
    rho, over = ex.agreement(e.by_segment, TOP_K)
    names = ["LIME", ei.SHAP_LABEL[cfg.shap], "gradient × input"]
    st.plotly_chart(vz.agreement_figure(names, rho, over, TOP_K, title="Agreement on the regions (per-region sums)"),
                    key="chart_agree_image")
    ref = f"{cfg.background} training digits" if cfg.baseline == "train" else "a black image"
    st.caption(f"Blue raises P({cls[t]}), orange lowers it; each panel is scaled to its own largest value; the lines "
               f"are the borders of the {e.seg.max() + 1} regions. "
               f"LIME hides regions by painting them black; SHAP's reference here is {ref}, gradient × input's "
               "a black image. Where the references differ, so do the answers: try the black reference.")
