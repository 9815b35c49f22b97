"""The CNN page's controls table, cached computations and views."""
from __future__ import annotations

import numpy as np
import streamlit as st

from explorer.engines import cnn, image_io, zoo
from explorer.engines.device import cap_threads
from explorer.ui import live, params, uploads
from explorer.ui.cached import memo
from explorer.ui.params import Param
from explorer.viz import cnn as vz
from explorer.viz import images as vimg
from explorer.ui import zoo_models

PAGE = "cnn"
RUN = cnn.Config()
GRAD = cnn.GradConfig()
SPEEDS = (2, 4, 8, 16, 32, 64)
LRS = (1e-4, 3e-4, 1e-3, 2e-3, 5e-3, 1e-2, 3e-2, 0.1)
BATCHES = (16, 32, 64, 128, 256)
DEPTHS = (2, 3, 5, 7, 9)  # residual blocks per stage: 6n + 2 layers
ARCH_LABEL = {a: zoo.INFO[a].label for a in zoo.ARCHS}
DATA_LABEL = {"mnist": "MNIST digits", "shapes": "Shapes"}
SOURCE_LABEL = {"reference": "Pre-trained reference", "live": "The live run"}

SPEC = [
    Param("arch", "Architecture", "choice", RUN.arch, choices=zoo.ARCHS, fmt=ARCH_LABEL.get,
          help="Small versions of the classic CNNs, sized for 28×28 images (see the zoo table below)."),
    Param("data", "Dataset", "choice", RUN.dataset, choices=cnn.DATASETS, widget="segmented", fmt=DATA_LABEL.get,
          help="MNIST: 5,000 real handwritten digits (4,000 to train, 1,000 to test). Shapes: circles, squares, "
               "triangles, crosses and stripes drawn in code, in random colours on textured backgrounds."),
    Param("opt", "Optimizer", "choice", RUN.optimizer, choices=cnn.OPTIMIZERS, widget="segmented",
          fmt={"adam": "Adam", "sgd": "SGD + momentum"}.get),
    Param("lr", "Learning rate", "choice", RUN.lr, choices=LRS, widget="select_slider", fmt=lambda v: f"{v:g}"),
    Param("batch", "Batch size", "choice", RUN.batch_size, choices=BATCHES, widget="select_slider"),
    Param("aug", "Random shifts of ±2 pixels", "bool", RUN.augment,
          help="Data augmentation: every training image is moved by a random offset each time it is used."),
    Param("seed", "Seed", "int", RUN.seed, lo=0, hi=999, widget="number",
          help="The same seed gives the same split, initial weights and batch order."),
    Param("speed", "Speed (steps/s; 16 steps = 1 epoch)", "choice", 16, choices=SPEEDS, widget="select_slider"),
    Param("source", "Network to inspect", "choice", "reference", choices=tuple(SOURCE_LABEL), widget="segmented",
          fmt=SOURCE_LABEL.get, help="The reference network is trained once with a fixed recipe and shared; "
                                     "the live run is the one you are training above."),
    Param("img", "Test image", "int", 0, lo=0, hi=999, widget="number",
          help="Which of the 1,000 test images to feed the network (or upload your own)."),
    Param("zoo_epochs", "Epochs each", "int", cnn.CompareConfig.epochs, lo=1, hi=5),
    Param("zoo_n", "Training images", "choice", cnn.CompareConfig.n_train, choices=(1000, 2000, 4000),
          widget="segmented"),
    Param("depth", "Depth", "choice", GRAD.blocks, choices=DEPTHS, widget="segmented",
          fmt=lambda n: f"{6 * n + 2} layers", help="Residual blocks per stage n: a ResNet-(6n+2)."),
    Param("gsteps", "Then train for", "choice", GRAD.steps, choices=(0, 25, 50, 100), widget="segmented",
          fmt=lambda s: "no steps" if s == 0 else f"{s} steps",
          help="SGD steps (batches of 32, learning rate 0.05) for both nets before measuring the gradients again."),
]
BY_NAME = {p.name: p for p in SPEC}


def run_config(v: dict) -> cnn.Config:
    return cnn.Config(arch=v["arch"], dataset=v["data"], lr=float(v["lr"]), batch_size=int(v["batch"]),
                      optimizer=v["opt"], augment=bool(v["aug"]), seed=int(v["seed"]))


def grad_config(v: dict) -> cnn.GradConfig:
    return cnn.GradConfig(blocks=int(v["depth"]), steps=int(v["gsteps"]))


def compare_config(v: dict) -> cnn.CompareConfig:
    return cnn.CompareConfig(dataset=v["data"], epochs=int(v["zoo_epochs"]), n_train=int(v["zoo_n"]))


def progress_bar(text: str):
    """(bar, callback(fraction, [what])) — the callback shows the percentage and what runs now."""
    bar = st.progress(0.0, text=text)

    def update(f, what: str = "") -> None:
        now = f" (now: {ARCH_LABEL.get(what, what)})" if what else ""
        bar.progress(min(1.0, float(f)), text=f"{text} {100 * float(f):.0f} %{now}")

    return bar, update


def times(x: float) -> str:
    """A ratio for a sentence: 1.4×, 12×, 250×."""
    return f"{x:.1f}×" if x < 10 else f"{x:,.0f}×"


# -- cached computations ------------------------------------------------------------------------------
@st.cache_data(max_entries=4, show_spinner=False)
def costs(dataset: str) -> tuple:
    cap_threads()
    return cnn.costs(dataset)


@memo(8)
def compare(cfg: cnn.CompareConfig, _progress=None) -> tuple:
    cap_threads()
    return cnn.compare(cfg, _progress)


@memo(12)
def grad_flow(cfg: cnn.GradConfig, _progress=None) -> cnn.GradFlow:
    cap_threads()
    return cnn.grad_flow(cfg, _progress)


@st.cache_data(max_entries=8, show_spinner=False)
def reference_confusion(arch: str, dataset: str, cache: str) -> cnn.Confusion:
    """The confusion matrix of a (cached) reference model on its test split; ``cache`` (the
    cache directory) is part of the key only."""
    data = cnn.data_for(dataset)
    return cnn.confusion(zoo.reference_model(arch, dataset), data.x_test, data.y_test, data.n_classes)


reference = zoo_models.reference_with_card


def inspected(v: dict, run: live.Run) -> tuple[object, str, bool]:
    """(model, description, is_reference) of the network the inspection sections read."""
    arch, ds = v["arch"], v["data"]
    if v["source"] == "reference":
        if zoo_models.available(arch, ds):
            model, card = reference(arch, ds)
            return model, (f"the pre-trained reference {ARCH_LABEL[arch]} ({card['recipe']['epochs']} epochs, "
                           f"test accuracy {100 * card['test_acc']:.1f} %)"), True
        st.info(f"There is no pre-trained {ARCH_LABEL[arch]} for {DATA_LABEL[ds]} on this server yet. Training it "
                "takes a minute or two (once; then it is cached for everyone). Meanwhile the sections below show "
                "the live run.", icon="🧰")
        if st.button(f"Train the reference {ARCH_LABEL[arch]} now", key="train_reference"):
            reference(arch, ds)
            st.rerun()
    snap = run.snapshot
    return run.trainer.model, f"the live run at epoch {snap.epoch:g} (updates when you pause)", False


def image_choice(v: dict, data, spec: image_io.InputSpec, where=st) -> tuple[np.ndarray, int | None, str]:
    """(image [C, H, W], its true label or None, a caption): an upload (drawn in ``where``)
    when there is a good one, else test image ``img``."""
    up = uploads.image_uploader("Or upload your own picture", key="cnn_upload", spec=spec, where=where)
    idx = min(int(v["img"]), len(data.y_test) - 1)
    if up is not None:
        note = " (colours inverted: MNIST is light ink on black)" if up.inverted else ""
        return up.x, None, f"your {up.format} image, {up.width}×{up.height} pixels, as the network reads it{note}"
    return data.x_test[idx], int(data.y_test[idx]), f"test image #{idx}, a {data.classes[int(data.y_test[idx])]}"


def upload_spec(dataset: str) -> image_io.InputSpec:
    return image_io.SPECS["mnist" if dataset == "mnist" else "shapes"]


# -- rendering ----------------------------------------------------------------------------------------
def render(cfg: cnn.Config):
    """The frame renderer for :func:`explorer.ui.live.player`."""

    def draw(snap: cnn.Snapshot, run: live.Run) -> None:
        # No st.columns in here: charts in columns of a rerunning fragment remount and flicker.
        images_seen = snap.step * len(run.trainer.x_train) // cnn.STEPS_PER_EPOCH
        acc = "—" if not np.isfinite(snap.test_acc) else f"{100 * snap.test_acc:.1f} %"
        st.markdown(f"#### Epoch {snap.epoch:g} · {images_seen:,} images seen · test accuracy {acc} · "
                    f"{snap.seconds:.1f} s of training")
        h = run.trainer.history(snap.epoch)
        st.plotly_chart(vz.training_figure(h), key="chart_training", config={"displayModeBar": False})
        st.plotly_chart(vz.filters_figure(snap.filters, title=f"First-layer filters at epoch {snap.epoch:g}"),
                        key="chart_filters", config={"displayModeBar": False})

    return draw


def cell_options(conf: cnn.Confusion, classes) -> list:
    """Options for the cell picker: None ("pick one") then the misclassified cells, largest first."""
    return [None] + [(t, p) for t, p, _ in cnn.worst_cells(conf, k=40)]


def cell_label(cell, conf: cnn.Confusion, classes) -> str:
    if cell is None:
        return "— pick a cell, or click one in the matrix —"
    t, p = cell
    return f"true {classes[t]} → predicted {classes[p]} ({conf.matrix[t, p]} images)"


def apply_click(event, conf: cnn.Confusion) -> None:
    """Make a new click in the matrix (``st.plotly_chart``'s selection state) the chosen cell
    (once per click, so that a later choice in the selectbox wins). Call it before drawing
    the matrix, so that the chart outlines the cell just clicked."""
    clicked = vz.selected_cell(event)
    if clicked is not None and clicked != st.session_state.get("_cnn_last_click"):
        st.session_state["_cnn_last_click"] = clicked
        st.session_state["cell"] = clicked


def cell_picker(conf: cnn.Confusion, classes) -> tuple[int, int] | None:
    """The selectbox of cells (misclassified ones, largest first; a clicked cell is added)."""
    options = cell_options(conf, classes)
    chosen = st.session_state.get("cell")
    if chosen is not None and chosen not in options:
        k = conf.matrix.shape[0]
        if isinstance(chosen, tuple) and len(chosen) == 2 and all(0 <= int(c) < k for c in chosen):
            options.append(chosen)  # a diagonal or empty cell that was clicked: still show it
        else:
            st.session_state["cell"] = None
    return st.selectbox("Misclassified examples of", options, key="cell",
                        format_func=lambda c: cell_label(c, conf, classes))


def zoo_rows(rows, trained: bool) -> list[dict]:
    out = []
    for r in rows:
        row = {"architecture": r.label, "year": r.year, "parameters": f"{r.params:,}", "MACs per image": f"{r.macs:,}"}
        if trained:
            row["test accuracy"] = "diverged" if r.diverged else f"{100 * r.test_acc:.1f} %"
            row["seconds per epoch"] = f"{r.seconds_per_epoch:.2f}"
        row["idea"] = zoo.INFO[r.arch].idea
        out.append(row)
    return out


def examples_figure(data, conf: cnn.Confusion, cell: tuple[int, int], limit: int = 24):
    t, p = cell
    idx = cnn.cell_indices(conf, data.y_test, t, p)[:limit]
    caps = [f"#{i} · {conf.probs[i, p]:.0%}" for i in idx]
    title = (f"True {data.classes[t]}, predicted {data.classes[p]}: {len(cnn.cell_indices(conf, data.y_test, t, p))} "
             f"test images (showing {len(idx)}; the confidence in '{data.classes[p]}' under each)")
    return vimg.image_grid(data.x_test[idx], caps, ncols=12, title=title, tile_px=72)


# -- sections below the live run ----------------------------------------------------------------------
NO_BAR = {"displayModeBar": False}


def confusion_section(cfg: cnn.Config, data, model, is_ref: bool) -> None:
    """The clickable confusion matrix and the images of the chosen cell."""
    conf = (reference_confusion(cfg.arch, cfg.dataset, str(zoo.cache_dir())) if is_ref
            else cnn.confusion(model, data.x_test, data.y_test, data.n_classes))
    apply_click(st.session_state.get("chart_confusion"), conf)
    title = f"Confusion matrix on the {len(data.y_test):,} test images: {100 * conf.accuracy:.1f} % right"
    st.plotly_chart(vz.confusion_figure(conf.matrix, list(data.classes), st.session_state.get("cell"), title=title),
                    key="chart_confusion", on_select="rerun", selection_mode="points", config=NO_BAR)
    cell = cell_picker(conf, data.classes)
    if cell is None:
        worst = ", ".join(f"{data.classes[t]} → {data.classes[p]} ({n})" for t, p, n in cnn.worst_cells(conf, 3))
        st.caption(f"Click a cell (or pick one above) to see its images. Most frequent mistakes: {worst or 'none'}.")
    elif conf.matrix[cell] == 0:
        st.caption("No test image falls in this cell.")
    else:
        st.plotly_chart(examples_figure(data, conf, cell), key="chart_cell", config=NO_BAR)
        st.caption("Type an image's number into **Test image** above to see how each layer responds to it.")


def zoo_section(cfg: cnn.Config) -> None:
    """Costs of every architecture at once; accuracy and time behind a button (cached by config)."""
    rows = costs(cfg.dataset)
    st.plotly_chart(vz.zoo_costs_figure([r.label for r in rows], [r.params for r in rows], [r.macs for r in rows]),
                    key="chart_zoo_costs", config=NO_BAR)
    c = st.columns([1, 1.6, 1.6])
    params.widget(BY_NAME["zoo_epochs"], c[0])
    params.widget(BY_NAME["zoo_n"], c[1])
    ccfg = compare_config(params.current(SPEC))
    if c[2].button("🏁 Train and compare the zoo", key="zoo_run", width="stretch",
                   help="Trains all eight architectures with the same data, batches and augmentation, one after "
                        "the other, and times them (about a minute for two epochs on 2,000 images)."):
        st.session_state["_cnn_zoo"] = ccfg
    results = None
    if st.session_state.get("_cnn_zoo") == ccfg:
        bar, prog = progress_bar(f"Training {len(ccfg.archs)} networks for {ccfg.epochs} epoch(s) on "
                                 f"{ccfg.n_train:,} {DATA_LABEL[ccfg.dataset]}…")
        results = compare(ccfg, _progress=prog)
        bar.empty()
        st.plotly_chart(vz.zoo_results_figure([zoo.INFO[r.arch].short for r in results], [r.macs for r in results],
                                              [r.params for r in results], [r.test_acc for r in results],
                                              [r.seconds_per_epoch for r in results], ccfg.epochs),
                        key="chart_zoo_results", config=NO_BAR)
    st.dataframe(zoo_rows(results or rows, results is not None), hide_index=True, width="stretch")
    st.caption("MACs: multiply-accumulates of the conv and linear layers for one image, counted with forward hooks "
               "(≈ half the floating-point operations; BatchNorm, activations and pooling are not counted). Seconds "
               "per epoch are measured on this machine with one CPU thread, after an untimed warm-up batch; each "
               f"network trains with its reference learning rate, Adam, batches of {cnn.COMPARE_BATCH}, a cosine "
               "schedule, random shifts and label smoothing 0.1.")


def grad_section() -> None:
    """Gradient norm per conv layer, ResNet vs plain, at init and after some steps."""
    c = st.columns([1.6, 1.4])
    params.widget(BY_NAME["depth"], c[0])
    params.widget(BY_NAME["gsteps"], c[1])
    gcfg = grad_config(params.current(SPEC))
    bar, prog = progress_bar(f"Measuring gradients of two {gcfg.depth}-layer networks…")
    flow = grad_flow(gcfg, _progress=prog)
    bar.empty()
    st.plotly_chart(vz.grad_flow_figure(list(flow.layers), flow.at_init, flow.trained, flow.steps),
                    key="chart_grad_flow", config=NO_BAR)
    ratio = {k: v[0] / v[-1] for k, v in (flow.trained or flow.at_init).items()}
    when = f"after {flow.steps} steps" if flow.trained else "at initialization"
    st.caption(f"The same ResNet-{gcfg.depth} (same initial weights, BatchNorm everywhere) with and without its "
               f"identity shortcuts. First conv layer's gradient ÷ last one's, {when}: with skips "
               f"**{times(ratio['resnet'])}**, without **{times(ratio['plain'])}**. Measured on {cnn.PROBE} MNIST "
               "training images.")
    if flow.trained:
        st.plotly_chart(vz.grad_loss_figure(flow.losses), key="chart_grad_loss", config=NO_BAR)
