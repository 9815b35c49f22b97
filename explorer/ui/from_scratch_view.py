"""The from-scratch page's controls table, live views, gradient-check table and code listing."""
from __future__ import annotations

import inspect
import textwrap

import numpy as np
import streamlit as st

from explorer.engines import from_scratch as fs
from explorer.ui import live
from explorer.ui.params import Param
from explorer.viz import from_scratch as vz

PAGE = "from_scratch"
DEFAULT = fs.Config()
DATASET_LABELS = {"moons": "Two moons", "circles": "Circles", "spiral": "Spiral (3 classes)",
                  "digits": "Digits 8×8 (10 classes)"}
LEARNING_RATES = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0)
BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
FD_STEPS = (1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12)
SPEEDS = (1, 3, 10, 30, 100)
FD_ENTRIES = 32  # finite differences per parameter (a seeded sample when it has more entries)
TOLERANCE = {"fd": 1e-7, "autograd": 1e-12}

SPEC = [
    Param("dataset", "Dataset", "choice", DEFAULT.dataset, choices=fs.DATASETS, fmt=DATASET_LABELS.get,
          help="Three 2-D sets you can see, or sklearn's 8×8 digits (64 inputs)."),
    Param("n_points", "Points (2-D sets)", "int", DEFAULT.n_points, lo=60, hi=1000, step=20,
          help="A quarter of them is held out as the test set."),
    Param("noise", "Noise (2-D sets)", "float", DEFAULT.noise, lo=0.0, hi=0.5, step=0.05,
          help="Standard deviation of the jitter added to each point."),
    Param("hidden", "Hidden width H", "int", DEFAULT.hidden, lo=1, hi=64,
          help="Neurons in the one hidden layer."),
    Param("activation", "Activation φ", "choice", DEFAULT.activation, choices=fs.ACTIVATIONS, widget="segmented",
          fmt={"tanh": "tanh", "relu": "ReLU", "sigmoid": "sigmoid"}.get),
    Param("learning_rate", "Learning rate η", "choice", DEFAULT.learning_rate, choices=LEARNING_RATES,
          widget="select_slider", fmt=lambda v: f"{v:g}"),
    Param("batch_size", "Batch size", "choice", DEFAULT.batch_size, choices=BATCH_SIZES, widget="select_slider",
          help="Points per weight update. The few points left over are skipped that epoch (drop_last), "
               "so every step averages the same number of points."),
    Param("epochs", "Epochs", "int", DEFAULT.epochs, lo=5, hi=300, step=5,
          help="Passes over the training set; the run stops there."),
    Param("seed", "Seed", "int", DEFAULT.seed, lo=0, hi=9999, widget="number",
          help="The same seed gives the same data split, initial weights and batch order."),
    Param("fd_step", "Finite-difference step ε", "choice", 1e-5, choices=FD_STEPS, widget="select_slider",
          fmt=lambda v: f"{v:.0e}",
          help="Too large: the slope of a chord, not the tangent. Too small: rounding error swamps the difference."),
    Param("speed", "Speed (epochs/s)", "choice", 30, choices=SPEEDS, widget="select_slider"),
]
BY_NAME = {p.name: p for p in SPEC}
MODEL_FIELDS = ("dataset", "n_points", "noise", "hidden", "activation", "learning_rate", "epochs", "batch_size",
                "seed")


def config_from_values(v: dict) -> fs.Config:
    """The run's Config from control values (fd_step and speed do not enter it). The 2-D
    knobs are pinned to their defaults for digits, so moving them does not restart the run."""
    kw = {k: v[k] for k in MODEL_FIELDS}
    if kw["dataset"] == "digits":
        kw.update(n_points=DEFAULT.n_points, noise=DEFAULT.noise)
    return fs.Config(**kw)


def data_for(cfg: fs.Config) -> fs.Data:
    """The config's dataset, cached by what it depends on (not the network or training knobs)."""
    return _data(cfg.dataset, cfg.n_points, cfg.noise, cfg.seed)


@st.cache_data(max_entries=16, show_spinner=False)
def _data(dataset: str, n_points: int, noise: float, seed: int) -> fs.Data:
    return fs.make_data(fs.Config(dataset=dataset, n_points=n_points, noise=noise, seed=seed))


def stop_at_end(run: live.Run, speed: int) -> None:
    """Stop playing when the run reaches its last epoch. When the next frame would train past
    it (a frame trains at most ``speed`` epochs), train the few left now and stop."""
    trainer = run.trainer
    if not run.playing:
        return
    left = trainer.cfg.epochs - trainer.epoch
    if 0 < left <= speed and not trainer.finished:
        run.advance(left, 1.0)
    if trainer.finished:
        run.playing = False
        st.rerun(scope="app")


def _left_panel(cfg: fs.Config, data: fs.Data, params: dict) -> dict:
    if cfg.dataset == "digits":
        return {"kind": "confusion", "counts": fs.confusion(params, cfg.activation, data.x_test, data.y_test,
                                                           data.n_classes)}
    xs, ys, probs = fs.decision_grid(params, cfg.activation, data.x_train)
    return {"kind": "boundary", "xs": xs, "ys": ys, "probs": probs, "x": data.x_train, "y": data.y_train}


def check_table(checks: list[fs.GradCheck]) -> list[dict]:
    """Rows for the gradient-check table."""
    def mark(err, tol):
        return ("✅ " if err <= tol else "❌ ") + f"{err:.1e}"

    return [{"parameter": c.name, "shape": " × ".join(map(str, c.shape)),
             "max |gradient|": f"{c.grad_scale:.3e}",
             "entries checked by FD": f"{c.n_checked_fd} of {int(np.prod(c.shape))}",
             "NumPy vs finite differences": mark(c.err_fd, TOLERANCE["fd"]),
             "NumPy vs PyTorch autograd": mark(c.err_autograd, TOLERANCE["autograd"])} for c in checks]


def render(cfg: fs.Config, speed: int, fd_step: float):
    """The frame renderer for :func:`explorer.ui.live.player`."""

    def draw(snap: fs.Snapshot, run: live.Run) -> None:
        # No st.columns in here: charts inside columns of a rerunning fragment remount and flicker.
        stop_at_end(run, speed)
        tr = run.trainer
        done = " · finished" if snap.epoch >= cfg.epochs else ""
        st.markdown(f"#### Epoch {snap.epoch:,} of {cfg.epochs:,}{done}\n"
                    f"{snap.step:,} weight updates · training loss **{snap.train_loss:.4f}** · test loss "
                    f"**{snap.test_loss:.4f}** · test accuracy **{100 * snap.test_acc:.1f} %**")
        st.markdown(f"PyTorch twin: training loss **{snap.torch_train_loss:.4f}** · largest loss gap over all "
                    f"{snap.step:,} steps **{snap.max_loss_gap:.1e}** · largest weight gap now "
                    f"**{snap.max_param_gap:.1e}**")
        if snap.max_loss_gap > 1e-9 and not snap.diverged:
            st.caption("ℹ️ The gap has grown beyond rounding: at this learning rate training is chaotic, so a "
                       "1e-16 difference is amplified step after step (see Explain). At a smaller η it stays ~1e-16.")
        curves = {"numpy": tr.losses_numpy[: snap.step], "torch": tr.losses_torch[: snap.step],
                  "steps_per_epoch": tr.steps_per_epoch}
        fig = vz.training_figure(curves, _left_panel(cfg, tr.data, snap.params),
                                 title=f"Epoch {snap.epoch}: the NumPy network and its PyTorch twin")
        st.plotly_chart(fig, key="chart_training", config={"displayModeBar": False})
        st.markdown(f"##### Gradient check at these weights (epoch {snap.epoch})")
        if not all(np.isfinite(v).all() for v in snap.params.values()):
            st.info("The weights are no longer finite, so there is nothing to check. Lower η and press Reset.")
            return
        x, y = fs.check_batch(tr.data)
        checks = fs.gradient_check(snap.params, x, y, cfg.activation, eps=fd_step, max_entries=FD_ENTRIES,
                                   seed=cfg.seed)
        st.dataframe(check_table(checks), hide_index=True, width="stretch", key="chart_checks")
        st.caption(f"Loss over the first {len(y)} training points. Error = max |g − ĝ| / max |g| per parameter: "
                   f"g from `backward`, ĝ from central differences with ε = {fd_step:.0e} or from "
                   "`loss.backward()` in PyTorch on a copy of the same weights. ✅ means FD ≤ 1e-7 and autograd "
                   "≤ 1e-12.")

    return draw


def fd_sweep_section(run: live.Run, cfg: fs.Config, fd_step: float) -> None:
    """Finite-difference error for every ε of the control, at the run's latest weights."""
    snap = run.snapshot
    if not all(np.isfinite(v).all() for v in snap.params.values()):
        st.info("The weights are no longer finite; press Reset to see the sweep.")
        return
    x, y = fs.check_batch(run.trainer.data)
    errors = fs.fd_sweep(snap.params, x, y, cfg.activation, FD_STEPS, seed=cfg.seed)
    st.plotly_chart(vz.fd_sweep_figure(FD_STEPS, errors, fd_step,
                                       title=f"Finite differences vs backprop (weights at epoch {snap.epoch})"),
                    key="chart_sweep", config={"displayModeBar": False})
    st.caption("Right of the dip the error falls as ε² (truncation: a chord is not a tangent); left of it, "
               "it grows as 1/ε (rounding: L(θ+ε) − L(θ−ε) loses digits). "
               "The best ε is near ∛(machine ε) ≈ 6·10⁻⁶. "
               "Each parameter is probed at up to 8 seeded entries.")


CODE = [  # (tab label, function, one line on what it is)
    ("Forward", fs.forward, "Two matrix products and an activation. The cache keeps what backward needs."),
    ("Loss", fs.softmax_cross_entropy, "Softmax cross-entropy and its gradient with respect to the logits."),
    ("Backward", fs.backward, "The chain rule from the logits back to W1, one line per equation."),
    ("Update", fs.sgd_step, "Gradient descent: every parameter moves against its gradient."),
    ("Activations", (fs.activate, fs.activate_grad), "φ and φ′; tanh and sigmoid reuse h = φ(z)."),
    ("Initialization", fs.init_params, "Both networks start from these weights."),
    ("PyTorch twin", fs.TorchTwin, "The same network with nn.Linear layers; torch.optim.SGD updates it."),
    ("Lockstep", fs.Trainer._train_step, "One training step: the same batch goes through both networks."),
]


def code_tabs() -> None:
    """The engine's own source, so what the page shows is what runs."""
    tabs = st.tabs([label for label, _, _ in CODE])
    for tab, (_, obj, line) in zip(tabs, CODE):
        with tab:
            st.caption(line)
            objs = obj if isinstance(obj, tuple) else (obj,)
            st.code("\n\n".join(textwrap.dedent(inspect.getsource(o)) for o in objs), language="python")
