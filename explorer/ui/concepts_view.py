"""The concepts page's controls table, models, cached analyses and live views (§7.2)."""
from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from explorer.engines import concepts as cc
from explorer.engines import probes as pb
from explorer.engines import tcav, vit, zoo
from explorer.engines.device import cap_threads
from explorer.ui import live
from explorer.ui.cached import memo
from explorer.ui.params import Param
from explorer.viz import concepts as vz
from explorer.ui.layout import progress_bar
from explorer.ui import zoo_models

PAGE = "concepts"
ARCH_LABEL = zoo_models.ARCH_LABEL
DATA_LABEL = {"shapes": "Shapes", "mnist": "MNIST"}
SPEEDS = (1, 2, 5, 10)
L2S = (0.0, 1.0, 3.0, 10.0, 30.0, 100.0)
RUNS = (5, 10, 20)
N_CONCEPT, N_RANDOM, N_CLASS = 40, 40, 100
STEPS_PER_FRAME, MAX_STEPS = 4, 256

SPEC = [
    Param("model", "Model (the zoo's reference)", "choice", "lenet", choices=zoo.ARCHS, fmt=ARCH_LABEL.get,
          help="LeNet is trained on first use in seconds; the others take a minute or two once (then they are "
               "cached on disk)."),
    Param("data", "Trained on", "choice", "shapes", choices=zoo.DATASETS, fmt=DATA_LABEL.get, widget="segmented"),
    Param("cls", "Class to explain (#)", "int", 4, lo=0, hi=9, widget="number",
          help="Shapes: 0 circle, 1 square, 2 triangle, 3 cross, 4 stripes. MNIST: the digit. Used by activation "
               "maximization (when it targets a class) and by TCAV."),
    Param("target", "Maximize", "choice", "class", choices=cc.TARGETS, fmt=cc.TARGET_LABEL.get, widget="segmented",
          help="The logit is the raw class score; the log-probability also pushes the other classes down; a channel "
               "is one feature map of a hidden layer (its mean over positions, before its ReLU)."),
    Param("layer", "Layer # (for a channel)", "int", 2, lo=0, hi=15, widget="number"),
    Param("unit", "Channel #", "int", 3, lo=0, hi=127, widget="number"),
    Param("jitter", "Jitter (pixels)", "int", 2, lo=0, hi=4,
          help="Each step sees the image shifted by a random offset up to this many pixels."),
    Param("blur", "Blur σ (pixels)", "float", 0.5, lo=0.0, hi=1.5, step=0.25,
          help=f"Every {cc.Config().blur_every} steps the image is smoothed by a Gaussian of this width."),
    Param("l2", "L2 weight λ", "choice", 3.0, choices=L2S, widget="select_slider", fmt=lambda v: f"{v:g}",
          help="Penalty λ·Σ(x − ½)²/(H·W): pulls pixels towards grey, so only what matters stands out."),
    Param("speed", "Speed (×4 steps/s)", "choice", 5, choices=SPEEDS, widget="select_slider"),
    Param("concepts", "Concepts", "multi", ("striped", "dotted", "round"), choices=cc.CONCEPTS,
          fmt=cc.CONCEPT_LABEL.get, widget="pills", min_items=1),
    Param("runs", "Random sets (runs)", "choice", 10, choices=RUNS, widget="segmented",
          help="Each concept's CAV is trained against this many different random sets; as many random-vs-random "
               "CAVs form the null distribution of the t-test."),
    Param("attrs", "Attributes to probe", "multi", pb.ATTRIBUTES, choices=pb.ATTRIBUTES, fmt=pb.ATTR_LABEL.get,
          widget="pills", min_items=1),
    Param("control", "Also probe an untrained network", "bool", False,
          help="The same architecture with random weights: what the layer's shape and the pixels give away alone."),
    Param("seed", "Seed", "int", 0, lo=0, hi=999, widget="number",
          help="The start image and jitter of the ascent; the concept drawings and random sets of TCAV."),
]
BY_NAME = {p.name: p for p in SPEC}


# -- data and models ----------------------------------------------------------------------------------------
def data(dataset: str):
    return zoo.data_for(dataset)


available, reference = zoo_models.available, zoo_models.reference


def session_model(arch: str, dataset: str):
    """This session's own copy of a reference model."""
    return zoo_models.session_model(PAGE, arch, dataset)


@st.cache_resource(max_entries=16, show_spinner=False)
def layer_info(arch: str, dataset: str) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """(labels, channels) of the model's inspectable layers."""
    m = zoo.session_copy(zoo.reference_model(arch, dataset))
    shape = data(dataset).x_train.shape[1:]
    layers = cc.layers(m)
    return tuple(lab for lab, _ in layers), tuple(cc.n_units(m, mod, shape) for _, mod in layers)


def clamp_choices(v: dict, arch: str, dataset: str) -> tuple[dict, list[str]]:
    """Class, layer and channel clamped to what this model has, with a note for each change."""
    out, notes = dict(v), []
    classes = data(dataset).classes
    if v["cls"] >= len(classes):
        out["cls"] = len(classes) - 1
        notes.append(f"{DATA_LABEL[dataset]} has {len(classes)} classes (0–{len(classes) - 1}); explaining class "
                     f"{out['cls']} ({classes[out['cls']]}).")
    labels, channels = layer_info(arch, dataset)
    if v["layer"] >= len(labels):
        out["layer"] = len(labels) - 1
        notes.append(f"{ARCH_LABEL[arch]} has {len(labels)} layers here (0–{len(labels) - 1}); using the last one.")
    c = channels[out["layer"]]
    if v["unit"] >= c:
        out["unit"] = c - 1
        notes.append(f"Layer {out['layer']} ({labels[out['layer']]}) has {c} channels; using channel {c - 1}.")
    return out, notes


# -- activation maximization ----------------------------------------------------------------------------------
def actmax_config(v: dict) -> cc.Config:
    index = v["unit"] if v["target"] == "unit" else v["cls"]
    return cc.Config(target=v["target"], index=int(index), layer=int(v["layer"]), jitter=int(v["jitter"]),
                     blur=float(v["blur"]), l2=float(v["l2"]), steps_per_epoch=STEPS_PER_FRAME, max_steps=MAX_STEPS,
                     seed=int(v["seed"]))


def what(cfg: cc.Config, arch: str, dataset: str) -> str:
    classes = data(dataset).classes
    if cfg.target == "class":
        return f"logit of “{classes[cfg.index]}”"
    if cfg.target == "logprob":
        return f"log P(“{classes[cfg.index]}”)"
    return f"channel {cfg.index} of {layer_info(arch, dataset)[0][cfg.layer]}"


def make_run(arch: str, dataset: str, cfg: cc.Config) -> live.Run:
    shape = tuple(data(dataset).x_train.shape[1:])
    return live.session_run(PAGE, (arch, dataset, cfg),
                            lambda: cc.ActMax(cfg, zoo.session_copy(reference(arch, dataset)), shape))


def render_actmax(arch: str, dataset: str, cfg: cc.Config):
    """The frame renderer for :func:`explorer.ui.live.player`."""
    classes = list(data(dataset).classes)
    label = what(cfg, arch, dataset)
    highlight = cfg.index if cfg.target != "unit" else -1

    def draw(snap: cc.Snapshot, run: live.Run) -> None:
        ep = np.asarray(run.curve["epoch"])
        act = -np.asarray(run.curve["test"], dtype=float)
        keep = ep <= snap.epoch
        st.markdown(f"#### Step {snap.epoch:,} of {MAX_STEPS} · {label} = **{snap.activation:.3f}** · the model says "
                    f"**{classes[int(np.argmax(snap.probs))]}** ({100 * float(np.max(snap.probs)):.0f} %)")
        st.plotly_chart(vz.actmax_figure(snap.image, ep[keep], act[keep], snap.probs, classes, what=label,
                                         step=snap.epoch, highlight=highlight),
                        key="chart_actmax", config={"displayModeBar": False})

    return draw


@st.cache_data(max_entries=32, show_spinner=False)
def top_examples(arch: str, dataset: str, target: str, index: int, layer: int, k: int = 16):
    """(images [k, C, H, W], values [k], labels) of the test images that excite the target most."""
    m = zoo.session_copy(zoo.reference_model(arch, dataset))
    d = data(dataset)
    module = cc.layers(m)[layer][1] if target == "unit" else None
    vals = cc.dataset_objective(m, torch.tensor(np.asarray(d.x_test)), target, index, module)
    idx = cc.top_examples(vals, k)
    return np.asarray(d.x_test[idx]), vals[idx], [d.classes[int(d.y_test[i])] for i in idx]


# -- TCAV -----------------------------------------------------------------------------------------------------
@st.cache_data(max_entries=16, show_spinner=False)
def concept_images(dataset: str, seed: int) -> dict:
    ch = data(dataset).channels
    return {c: cc.concept_set(c, N_CONCEPT, seed, channels=ch) for c in cc.CONCEPTS}


@memo(max_entries=16)
def tcav_report(arch: str, dataset: str, cls: int, runs: int, seed: int, _progress=None) -> tcav.Report:
    """TCAV of every concept at every layer for class ``cls`` (cached; the page shows a subset)."""
    cap_threads()
    m = zoo.session_copy(zoo.reference_model(arch, dataset))
    d = data(dataset)
    cls_x = torch.tensor(np.asarray(d.x_test[d.y_test == cls]))
    cfg = tcav.Config(n_concept=N_CONCEPT, n_random=N_RANDOM, runs=runs, n_class=N_CLASS, seed=seed)
    pool = np.asarray(d.x_train[: (runs + 1) * N_RANDOM * 2])
    return tcav.run(cfg, m, cc.layers(m), cls_x, cls, concept_images(dataset, seed), pool, progress=_progress)


def tcav_view(arch: str, dataset: str, cls: int, runs: int, seed: int, chosen: tuple) -> None:
    classes = data(dataset).classes
    bar, prog = progress_bar("Training CAVs layer by layer…")
    rep = tcav_report(arch, dataset, cls, runs, seed, _progress=prog)
    bar.empty()
    idx = [rep.concepts.index(c) for c in chosen]
    p = tcav.bonferroni(rep.p_raw[idx])
    sig = p < tcav.Config().alpha
    st.plotly_chart(vz.tcav_figure(list(rep.layers), [cc.CONCEPT_LABEL[c] for c in chosen], rep.scores[idx],
                                   rep.random_scores, sig, p, cls=classes[cls]), key="chart_tcav")
    best = [(rep.scores[i, li].mean(), c, rep.layers[li]) for i, c in zip(idx, chosen)
            for li in range(len(rep.layers)) if sig[idx.index(i), li]]
    if best:
        s, c, lab = max(best)
        st.caption(f"Strongest significant concept: **{cc.CONCEPT_LABEL[c]}** at **{lab}** — "
                   f"{100 * s:.0f} % of the {classes[cls]} test images get more “{classes[cls]}” when their "
                   f"activation moves towards {c}. Bonferroni-corrected over {p.size} tests, α = 0.05.")
    else:
        st.caption("No concept differs significantly from random concepts at any layer (Bonferroni-corrected over "
                   f"{p.size} tests, α = 0.05).")
    rows = [{"concept": cc.CONCEPT_LABEL[c], "layer": lab, "TCAV score": f"{rep.scores[i, li].mean():.2f} ± "
             f"{rep.scores[i, li].std():.2f}", "random": f"{rep.random_scores[li].mean():.2f} ± "
             f"{rep.random_scores[li].std():.2f}", "CAV accuracy": f"{100 * rep.cav_acc[i, li].mean():.0f} %",
             "p (corrected)": f"{p[k, li]:.2g}", "significant": "★" if sig[k, li] else ""}
            for k, (i, c) in enumerate(zip(idx, chosen)) for li, lab in enumerate(rep.layers)]
    with st.expander("The numbers: scores, CAV accuracy, p-values"):
        st.dataframe(rows, hide_index=True, width="stretch")


def gallery(dataset: str, seed: int, chosen: tuple, per: int = 8):
    imgs = concept_images(dataset, seed)
    x = np.concatenate([imgs[c][:per] for c in chosen])
    caps = [cc.CONCEPT_LABEL[c] if j == 0 else "" for c in chosen for j in range(per)]
    return vz.concept_gallery(x, caps, per)


# -- probes ----------------------------------------------------------------------------------------------------
@st.cache_data(max_entries=8, show_spinner=False)
def probe_labels(dataset: str):
    d = data(dataset)
    tr, ref = pb.attributes(np.asarray(d.x_train), d.y_train, d.masks_train)
    te, _ = pb.attributes(np.asarray(d.x_test), d.y_test, d.masks_test, ref)
    return tr, te


@memo(max_entries=16)
def probe_report(arch: str, dataset: str, untrained: bool, _progress=None) -> pb.Report:
    """Probes of every attribute at every layer (cached; the page shows a subset)."""
    cap_threads()
    d = data(dataset)
    if untrained:
        m = zoo.build(arch, d.channels, len(d.classes), seed=0, mean=zoo.channel_stats(d.x_train)[0],
                      std=zoo.channel_stats(d.x_train)[1]).eval()
    else:
        m = zoo.session_copy(zoo.reference_model(arch, dataset))
    tr, te = probe_labels(dataset)
    return pb.run(pb.Config(), m, cc.layers(m), d.x_train, tr, d.x_test, te, pb.available(dataset),
                  progress=_progress)


def probes_view(arch: str, dataset: str, attrs: tuple, control: bool) -> None:
    names = [a for a in attrs if a in pb.available(dataset)]
    if len(names) < len(attrs):
        st.caption("ℹ️ MNIST is grey: it has no object colour to probe.")
    if not names:
        names = list(pb.available(dataset)[:1])
    bar, prog = progress_bar("Fitting a probe per layer…")
    rep = probe_report(arch, dataset, False, _progress=prog)
    ctl = probe_report(arch, dataset, True, _progress=prog) if control else None
    bar.empty()
    idx = [rep.attributes.index(a) for a in names]
    st.plotly_chart(vz.probes_figure(list(rep.layers), [pb.ATTR_LABEL[a] for a in names], rep.acc[idx],
                                     rep.chance[idx], None if ctl is None else ctl.acc[idx]), key="chart_probes")
    dims = ", ".join(f"{lab} {d:,}" for lab, d in zip(rep.layers, rep.dims))
    st.caption(f"Each point: a logistic regression (L2, C = {pb.Config().c}) trained on {pb.Config().n_train} training "
               f"images' activations, scored on {pb.Config().n_test} test images. Features per probe: {dims} "
               f"(maps over {pb.MAX_FEATURES:,} values are average-pooled 2×2 first).")


# -- attention of a small ViT ----------------------------------------------------------------------------------
VIT = vit.Config()


@memo(max_entries=2)
def vit_trained(cfg: vit.Config, _progress=None) -> vit.Trained:
    cap_threads()
    return vit.train(cfg, vit_data(), _progress)


@st.cache_resource(max_entries=1, show_spinner=False)
def vit_data() -> vit.Data:
    return vit.make_data(0)


def attention_view(cls: int) -> None:
    """The first MNIST test digit of class ``cls`` through a small trained ViT: [CLS] attention
    per layer and the rollout. Trains on a button press (once per server process)."""
    flag = "_concepts_vit"
    if not st.session_state.get(flag):
        st.caption(f"A ViT with {VIT.patch}×{VIT.patch} patches, {VIT.layers} layers and {VIT.heads} heads, trained "
                   f"{VIT.epochs} epochs on 4,000 MNIST digits (about a minute, once).")
        if not st.button("Train the ViT and show its attention", key="concepts_vit"):
            return
        st.session_state[flag] = True
    bar, prog = progress_bar("Training the ViT once…")
    trained = vit_trained(VIT, _progress=prog)
    bar.empty()
    d = vit_data()
    digit = min(int(cls), 9)
    idx = int(np.flatnonzero(d.y_test.numpy() == digit)[0])
    look = vit.look(trained.model, d.x_test[idx])
    pred = int(np.argmax(look.probs))
    st.plotly_chart(vz.attention_figure(look.image, look.cls, look.rollout,
                                        title=f"Test digit #{idx} (a {digit}); the ViT says {pred} "
                                              f"({100 * float(look.probs[pred]):.0f} %) · test accuracy "
                                              f"{100 * trained.test_acc:.1f} %"),
                    key="chart_attention", config={"displayModeBar": False})
    st.caption("Attention shows where [CLS] *reads* from, not what *causes* the answer: rollout mixes every layer's "
               "head-mean attention with the residual path, ½(A + I), multiplied through the layers.")
