"""The attribution page's controls table, models, cached computations and sections."""
from __future__ import annotations

import dataclasses
import hashlib

import numpy as np
import streamlit as st

from explorer.engines import attribution as A
from explorer.engines import attribution_eval as E
from explorer.engines import image_io, zoo
from explorer.engines.device import cap_threads
from explorer.ui import uploads
from explorer.ui.cached import memo
from explorer.ui.params import Param
from explorer.viz import attribution as vz
from explorer.ui.layout import progress_bar
from explorer.ui import zoo_models

PAGE = "attribution"
DATA_LABEL = {"mnist": "MNIST digits", "shapes": "Shapes (object masks)"}
ARCH_LABEL = zoo_models.ARCH_LABEL
STEPS = (2, 5, 10, 20, 50, 100, 200, 300, 500)
SAMPLES = (5, 10, 20, 50, 100)
WINDOWS = (2, 3, 4, 5, 6, 7, 8, 10, 14)
STRIDES = (1, 2, 3, 4, 5, 7)
LAYERS = tuple(range(9))   # counted from the last feature map: 0 = last, 1 = the one before, …
TARGETS = (-1,) + tuple(range(10))
MASK_IMAGES = 64
SIGN_LABEL = {"signed": "signed (+ blue, − orange)", "absolute": "magnitude |a|"}


def _method_fmt(m: str) -> str:
    return A.LABELS[m]


SPEC = [
    Param("data", "Images", "choice", "mnist", choices=("mnist", "shapes"), widget="segmented",
          fmt={"mnist": "MNIST", "shapes": "Shapes"}.get,
          help="MNIST digits (grey), or the procedural shapes set (RGB), whose exact object masks let the page "
               "measure whether a map lands on the object."),
    Param("model", "Model (the zoo's reference for these images)", "choice", "lenet", choices=zoo.ARCHS,
          fmt=ARCH_LABEL.get, help="LeNet is trained on first use in seconds; the others take a minute or two once "
                                   "(then they are cached on disk)."),
    Param("img", "Test image #", "int", 6, lo=0, hi=999, widget="number",
          help="One of the 1,000 test images the zoo models never trained on."),
    Param("target", "Explain the class", "choice", -1, choices=TARGETS,
          fmt=lambda t: "the model's prediction" if t < 0 else f"class {t}",
          help="Every method explains this class's logit (before the softmax)."),
    Param("methods", "Methods", "multi", A.METHODS, choices=A.METHODS, fmt=_method_fmt, widget="pills", min_items=1),
    Param("baseline", "Baseline x̄ (IG, DeepLIFT, occlusion)", "choice", "black", choices=A.BASELINES,
          widget="segmented", fmt={"black": "black", "blur": "blurred", "noise": "noise"}.get,
          help="What 'absence of signal' means: a black image, the input blurred (σ = 4 px) or uniform noise "
               "(drawn from the seed). Occlusion paints its patches with it."),
    Param("steps", "IG steps", "choice", 50, choices=STEPS, widget="select_slider",
          help="Points on the straight path from x̄ to x where integrated gradients evaluates the gradient "
               "(Gauss–Legendre quadrature, captum's default)."),
    Param("samples", "SmoothGrad samples", "choice", 20, choices=SAMPLES, widget="select_slider",
          help="Noisy copies whose gradients are averaged (captum's NoiseTunnel)."),
    Param("sigma", "SmoothGrad noise σ (× the image's range)", "float", 0.15, lo=0.0, hi=0.5, step=0.05,
          help="Smilkov et al. found 10–20 % of the range works best; 0 gives back the plain gradient."),
    Param("layer", "Grad-CAM layer", "choice", 0, choices=LAYERS,
          fmt=lambda k: "the last feature map" if k == 0 else f"{k} before the last",
          help="The feature maps Grad-CAM weighs; later layers are coarser but more about the class."),
    Param("window", "Occlusion patch (px)", "choice", 5, choices=WINDOWS, widget="select_slider",
          help="The side of the square patch painted with the baseline."),
    Param("stride", "Occlusion stride (px)", "choice", 2, choices=STRIDES, widget="select_slider",
          help="How far the patch moves each time (at most its side, so every pixel is covered)."),
    Param("sign", "Show", "choice", "signed", choices=("signed", "absolute"), widget="segmented",
          fmt=SIGN_LABEL.get, help="Signed: blue pixels raise the class's logit, orange ones lower it. The sanity "
                                   "check compares the same kind of map."),
    Param("rand", "Randomization", "choice", "cascading", choices=E.MODES, widget="segmented",
          fmt={"cascading": "cascading (top-down)", "independent": "one layer at a time"}.get,
          help="Cascading: randomize the top layer, then the top two, … (Adebayo et al.'s main test). "
               "Independent: one layer at a time, the others trained."),
    Param("region", "Count as on the object", "choice", "mask", choices=("mask", "box"), widget="segmented",
          fmt={"mask": "its exact pixels", "box": "its bounding box"}.get,
          help="Exact pixels: the strict score (a map half a feature-map cell past the outline loses). Bounding "
               "box: the energy-based pointing game of Score-CAM (Wang et al. 2020), the usual localization score."),
    Param("seed", "Seed", "int", 0, lo=0, hi=999, widget="number",
          help="The noise baseline, SmoothGrad's noise and the random weights of the sanity check."),
]
BY_NAME = {p.name: p for p in SPEC}


# -- data and models --------------------------------------------------------------------------------------
def data(dataset: str):
    return zoo.data_for(dataset)


available, reference = zoo_models.available, zoo_models.reference


def session_model(arch: str, dataset: str):
    """This session's own copy of a reference model."""
    return zoo_models.session_model(PAGE, arch, dataset)


def layer_param(arch: str, dataset: str, model) -> tuple[Param, int]:
    """The Grad-CAM layer control for this model (its own tap names, only its layers) and the
    number of layers; a value beyond them is set to the first layer."""
    labels = [lab for lab, _ in model.tap_modules()]
    n = len(labels)
    if st.session_state.get("layer", 0) >= n:
        st.session_state["layer"] = n - 1
        st.caption(f"ℹ️ {ARCH_LABEL[arch]} has {n} feature-map layers: Grad-CAM uses the first, {labels[0]}.")
    p = dataclasses.replace(BY_NAME["layer"], choices=tuple(range(n - 1, -1, -1)),
                            fmt=lambda k: labels[n - 1 - k] + (" (last)" if k == 0 else ""))
    return p, n


def target_param(classes: tuple) -> Param:
    """The target control with this set's class names and only its classes."""
    names = list(classes)
    return dataclasses.replace(BY_NAME["target"], choices=(-1,) + tuple(range(len(names))),
                               fmt=lambda t: "the model's prediction" if t < 0 else f"{t}: {names[t]}")


def clamp_target(classes: tuple) -> None:
    """A target beyond this set's classes (say 7 on shapes) falls back to the prediction, with a note."""
    t = st.session_state.get("target", -1)
    if t >= len(classes):
        st.session_state["target"] = -1
        st.caption(f"ℹ️ There is no class {t} among the {len(classes)} classes here: explaining the prediction.")


def image_choice(v: dict, where=st) -> tuple[np.ndarray, int, str, str, np.ndarray | None]:
    """(image [C, 28, 28], its label (−1 for an upload), a caption, a cache key, its mask or None)."""
    dataset = v["data"]
    spec = image_io.SPECS["mnist" if dataset == "mnist" else "shapes"]
    what = "digit" if dataset == "mnist" else "picture (it is letterboxed to 28×28 RGB)"
    up = uploads.image_uploader(f"Or upload your own {what}", key=f"attr_upload_{dataset}", spec=spec, where=where)
    d = data(dataset)
    if up is not None:
        digest = hashlib.sha1(np.ascontiguousarray(up.x).tobytes()).hexdigest()[:16]
        note = ", colours inverted (MNIST is light ink on black)" if up.inverted else ""
        return up.x, -1, f"your {up.format} image ({up.width}×{up.height}{note})", f"upload:{digest}", None
    idx = min(int(v["img"]), len(d.y_test) - 1)
    mask = d.masks_test[idx] if d.masks_test is not None else None
    return (d.x_test[idx], int(d.y_test[idx]), f"test image #{idx}, a {d.classes[int(d.y_test[idx])]}",
            f"test:{idx}", mask)


def config(v: dict, n_layers: int) -> tuple[A.Config, list[str]]:
    """The engine config from control values, and a note for each thing that had to change."""
    notes = []
    window, stride = int(v["window"]), int(v["stride"])
    if stride > window:
        notes.append(f"An occlusion stride of {stride} px would skip pixels with a {window} px patch: using {window}.")
        stride = window
    layer = -1 - min(int(v["layer"]), n_layers - 1)
    return A.Config(methods=tuple(v["methods"]), baseline=v["baseline"], steps=int(v["steps"]),
                    samples=int(v["samples"]), sigma=float(v["sigma"]), layer=layer, window=window, stride=stride,
                    seed=int(v["seed"])), notes


# -- cached computations ------------------------------------------------------------------------------------
@st.cache_resource(show_spinner=False)
def warm_up() -> bool:
    """Every captum method once on a toy net, so that the times shown are steady-state ones."""
    cap_threads()
    A.warm_up()
    return True


@st.cache_data(max_entries=64, show_spinner=False)
def attribute(key: tuple, cfg: A.Config, target: int, _x: np.ndarray, _model) -> A.Attributions:
    """Every method on one image; ``key`` = (arch, dataset, image key) names the model and image.
    ``target`` −1: the model's prediction."""
    warm_up()
    return A.attribute(_model, _x, None if target < 0 else target, cfg)


@st.cache_data(max_entries=32, show_spinner=False)
def completeness(key: tuple, baseline: str, seed: int, target: int, _x: np.ndarray, _base: np.ndarray, _model):
    """IG's completeness error over the step grid, and the logit along the path."""
    cap_threads()
    comp = A.completeness(_model, _x, target, _base)
    alpha, f = A.path_logits(_model, _x, target, _base)
    return comp, alpha, f


@memo(8)
def sanity(key: tuple, cfg: A.Config, target: int, mode: str, _x=None, _model=None, _progress=None) -> E.Sanity:
    cap_threads()
    return E.randomization_check(_model, _x, target, cfg, mode=mode, seed=cfg.seed, progress=_progress)


@memo(8)
def mask_scores(arch: str, cfg: A.Config, _model=None, _progress=None) -> tuple[E.MaskScore, E.MaskScore]:
    """The mask score of the trained model and of the same net with every layer randomized."""
    cap_threads()
    d = data("shapes")
    x, m, y = d.x_test[:MASK_IMAGES], d.masks_test[:MASK_IMAGES], d.y_test[:MASK_IMAGES]
    boxes = d.boxes_test[:MASK_IMAGES]
    half = (lambda f: _progress(0.5 * f)) if _progress else None
    rest = (lambda f: _progress(0.5 + 0.5 * f)) if _progress else None
    trained = E.mask_benchmark(_model, x, m, y, cfg, progress=half, boxes=boxes)
    random = E.mask_benchmark(E.randomized_copy(_model, cfg.seed), x, m, y, cfg, progress=rest, boxes=boxes)
    return trained, random


# -- sections -------------------------------------------------------------------------------------------------
def _fmt_ms(s: float) -> str:
    return f"{1000 * s:.0f} ms" if s < 10 else f"{s:.1f} s"


def maps_section(res: A.Attributions, x: np.ndarray, label: int, caption: str, mask, classes: tuple,
                 signed: bool, cfg: A.Config) -> None:
    """Metrics, then every method's map over the input on one colour scale."""
    upload = label < 0
    c = st.columns(4)
    c[0].metric("True class", "your image" if upload else classes[label], help=caption)
    c[1].metric("Prediction", f"{classes[res.pred]} ({100 * res.probs[res.pred]:.0f} %)")
    c[2].metric("Explaining", f"{classes[res.target]}", help="Every map explains this class's logit f(x).",
                delta=f"logit {res.f_x:.2f}", delta_color="off", delta_arrow="off")
    c[3].metric("Time, all methods", _fmt_ms(sum(m.seconds for m in res.maps.values())))
    panels = []
    scores = {}
    for m, mp in res.maps.items():
        t = A.LABELS[m]
        extra = (f"{res.layer} · " if m == "gradcam" else "") + _fmt_ms(mp.seconds)
        if mask is not None:
            scores[m] = float(E.mask_mass(mp.magnitude, mask))
            extra += f" · {100 * scores[m]:.0f} % on object"
        panels.append((f"{t}<br><span style='font-size:12px'>{extra}</span>", mp.signed if signed else mp.magnitude))
    title = (f"Why {classes[res.target]}? {len(panels)} method{'s' if len(panels) > 1 else ''} on "
             f"{'your image' if upload else caption}")
    fig = vz.maps_figure(x, panels, signed=signed, title=title, mask=mask,
                         image_title=f"input ({'upload' if upload else classes[label]})")
    st.plotly_chart(fig, key="chart_maps", config={"displayModeBar": False})
    note = ("Each map is divided by its own 99th percentile of |value| — the methods speak in different units "
            "(a gradient, a share of the logit, a drop of the logit) — so compare *where* they look, not how "
            "strongly. ")
    note += ("Blue raises the logit of the class explained, orange lowers it; transparent is ≈ 0."
             if signed else "Transparent is ≈ 0, yellow the strongest.")
    if mask is not None:
        note += (f" Dotted: the object's exact mask ({100 * float(np.mean(mask)):.0f} % of the image — the share an "
                 "even map would put on it).")
    if "gradcam" in res.maps:
        note += " Grad-CAM is ≥ 0 by construction (a ReLU of the weighted feature maps)."
    st.caption(note)
    if upload:
        st.caption("Your image has no label here: the maps explain the class you chose, or the model's prediction.")


def completeness_section(res: A.Attributions, x: np.ndarray, key: tuple, cfg: A.Config, model) -> None:
    comp, alpha, f = completeness(key, cfg.baseline, cfg.seed, res.target, x, res.baseline, model)
    gap = res.f_x - res.f_base
    c = st.columns(4)
    c[0].metric("f(x)", f"{res.f_x:.3f}", help="The logit of the class explained, at the input.")
    c[1].metric("f(x̄)", f"{res.f_base:.3f}",
                help=f"The same logit at the baseline ({A.BASELINE_LABELS[cfg.baseline]}).")
    if "ig" in res.maps:
        rel = abs(res.ig_error) / max(abs(gap), 1e-12)
        c[2].metric(f"Σ IG ({cfg.steps} steps)", f"{res.ig_sum:.3f}", delta=f"error {res.ig_error:+.2g} "
                    f"({100 * rel:.2g} %)", delta_color="off", delta_arrow="off",
                    help="Completeness: Σ attributions should equal f(x) − f(x̄).")
    else:
        c[2].metric("Σ IG", "—", help="Integrated gradients is not among the chosen methods.")
    if "deeplift" in res.maps:
        c[3].metric("Σ DeepLIFT", f"{res.dl_sum:.3f}", delta=f"error {res.dl_error:+.2g}", delta_color="off",
                    delta_arrow="off",
                    help="DeepLIFT's summation-to-delta: exact for ReLU layers; max-pooling (and LRN, SiLU) "
                         "make it approximate.")
    chosen_err = res.ig_error if "ig" in res.maps else float("nan")
    j = int(np.argmin(np.abs(np.asarray(comp.steps) - cfg.steps)))
    if not np.isfinite(chosen_err):
        chosen_err = float(comp.error[list(comp.rules).index(cfg.rule), j])
    fig = vz.completeness_figure(res.baseline, alpha, f, comp.steps, [A.RULE_LABELS[r] for r in comp.rules],
                                 comp.error, chosen=cfg.steps, chosen_error=chosen_err, gap=gap,
                                 baseline_title=f"baseline x̄: {A.BASELINE_LABELS[cfg.baseline]}")
    st.plotly_chart(fig, key="chart_completeness", config={"displayModeBar": False})
    st.caption("Integrated gradients sums the gradient at points on the straight path from x̄ to x, so its total is a "
               "numerical integral of df along the path — equal to f(x) − f(x̄) when the quadrature is exact. A "
               "ReLU network's f is piecewise linear along the path (the kinks in the middle panel), so the error "
               "shrinks with more steps, but unevenly: a kink between two points costs accuracy whatever the rule, "
               "and Gauss–Legendre's high order (captum's default, the star is this page's run) buys little over "
               "the midpoint rule here. The right Riemann sum is the IG paper's.")


def sanity_section(key: tuple, x: np.ndarray, res: A.Attributions, cfg: A.Config, mode: str, model, signed: bool,
                   arch: str) -> None:
    """Adebayo et al.'s randomization test, on a button (it computes every map once per layer)."""
    n = len(E.layer_groups(model))
    run_key = (key, cfg, res.target, mode)
    if not (st.button(f"Randomize {ARCH_LABEL[arch]}'s layers ({n} steps × {len(cfg.methods)} methods)",
                      key="attr_run_sanity") or st.session_state.get("_attr_sanity") == run_key):
        st.caption("Runs on demand: a few seconds for LeNet with every method, longer for the bigger models.")
        return
    bar, prog = progress_bar("Randomizing and recomputing every map…")
    s = sanity(key, cfg, res.target, mode, _x=x, _model=model, _progress=prog)
    bar.empty()
    st.session_state["_attr_sanity"] = run_key
    methods = [A.LABELS[m] for m in s.methods]
    steps = [s.steps[0]] + [("+ " if mode == "cascading" else "only ") + t for t in s.steps[1:]]
    maps = s.signed if signed else s.maps
    rho = s.rho_signed if signed else s.rho
    st.plotly_chart(vz.sanity_maps_figure(maps, steps, methods, signed=signed,
                                          title=f"Maps as the weights are destroyed ({mode}), explaining "
                                                f"class {s.target}"), key="chart_sanity_maps",
                    config={"displayModeBar": False})
    st.plotly_chart(vz.rho_figure(steps, methods, rho, mode=mode, signed=signed), key="chart_sanity_rho",
                    config={"displayModeBar": False})
    last = rho[-1]
    held = [methods[j] for j in range(len(methods)) if np.isfinite(last[j]) and last[j] > 0.5]
    fell = [methods[j] for j in range(len(methods)) if np.isfinite(last[j]) and last[j] <= 0.5]
    gone = [methods[j] for j in range(len(methods)) if not np.isfinite(last[j])]
    verdict = []
    if fell:
        verdict.append(f"**Changed with the model** (ρ ≤ 0.5 at the last step — as they should): "
                       f"{', '.join(fell)}.")
    if held:
        verdict.append(f"**Barely changed** (ρ > 0.5 with the model randomized): {', '.join(held)} — that part of "
                       "the map comes from the input, not from what the model learned.")
    if gone:
        verdict.append(f"**Vanished** (an all-zero map has no ranking): {', '.join(gone)}.")
    st.markdown(" ".join(verdict))
    st.caption("With a black baseline, IG, DeepLIFT and occlusion give exactly 0 wherever the input is black "
               "(x − x̄ = 0 there) whatever the weights, so on MNIST their |maps| keep the digit's outline: "
               "compare the signed maps, or a blurred or noise baseline.")


def mask_section(arch: str, cfg: A.Config, model, region: str) -> None:
    run_key = (arch, cfg)
    if not (st.button(f"Score every method on {MASK_IMAGES} test images", key="attr_run_mask")
            or st.session_state.get("_attr_mask") == run_key):
        st.caption("Runs on demand: a few seconds for LeNet (occlusion and IG cost the most).")
        return
    bar, prog = progress_bar("Attributing the test images…")
    ms, rnd = mask_scores(arch, cfg, _model=model, _progress=prog)
    bar.empty()
    st.session_state["_attr_mask"] = run_key
    chance = ms.chance_of(region)
    where = "inside the object's mask" if region == "mask" else "inside the object's bounding box"
    st.plotly_chart(vz.mask_figure([A.LABELS[m] for m in ms.methods], ms.mean(region), ms.ci95(region), chance,
                                   n=ms.scores.shape[1], model=ARCH_LABEL[arch], random_mean=rnd.mean(region),
                                   random_ci=rnd.ci95(region), where=where),
                    key="chart_mask", config={"displayModeBar": False})
    mean = ms.mean(region)
    best = ms.methods[int(np.nanargmax(mean))]
    gain = mean - rnd.mean(region)
    hits = ", ".join(f"{A.LABELS[m]} {100 * h:.0f} %" for m, h in zip(ms.methods, ms.hits.mean(axis=1)))
    st.caption(f"Each image's true class is explained; the model gets {100 * ms.correct.mean():.0f} % of these images "
               f"right. Most concentrated on the object: {A.LABELS[best]} ({100 * mean.max():.0f} %, "
               f"{mean.max() / chance:.1f}× an even map). Largest gain over random weights: "
               f"{A.LABELS[ms.methods[int(np.nanargmax(gain))]]} ({100 * np.nanmax(gain):+.0f} points). "
               f"Pointing game — the map's peak on the object's pixels: {hits}.")
    st.caption("Objects are small (≈ 14 % of the image) and the shapes differ by their edges and corners, so a map "
               "from coarse feature maps (LeNet's last is 5×5) spills over the outline; a method that scores as "
               "well on a random net is measuring the picture, not the model. The WSL net (global max pooling, a "
               "sparse last layer) is built to localize: compare its Grad-CAM with LeNet's.")
