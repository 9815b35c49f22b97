"""Loss landscapes (§3.6): where the optimizer actually walks, and how sharp the minimum is."""
import numpy as np
import streamlit as st

from explorer.engines import landscape as ls
from explorer.ui import layout, live, params
from explorer.ui import landscape_view as view
from explorer.viz import landscape as vz

layout.header("loss_landscape", "Train a small model, pause, then look at the loss around it: along random "
              "filter-normalized directions, along its own training path, and by its curvature.")
params.show_notices(params.sync_from_url(view.PAGE, view.SPEC))
W = view.BY_NAME
with st.sidebar:
    st.header("Model and data")
    params.widget(W["model"])
    if st.session_state["model"] == "mlp":
        params.widget(W["dataset"])
    if st.session_state["model"] == "resnet":
        params.widget(W["skip"])
    for name in ("width", "n_train", "batch_size", "learning_rate", "optimizer", "seed", "train_to"):
        params.widget(W[name])
values = params.current(view.SPEC)
cfg, notes = view.config_from_values(values)
for note in notes:
    st.caption("ℹ️ " + note)

run = live.session_run(view.PAGE, cfg, lambda: ls.Trainer(cfg))
if st.session_state.get("_ls_trained") is not run:  # a new setup trains to its starting epoch at once
    st.session_state["_ls_trained"] = run
    live.replay_to(run, values["train_to"], label="Training this setup to epoch")

start_loss = run.history[0].train_loss if run.history else run.snapshot.train_loss
if run.snapshot.epoch >= 5 and run.snapshot.train_loss > 0.9 * start_loss:
    st.info("This setup has hardly learned yet (its loss is still near where it started), so its landscape "
            "says little. Lower the learning rate (0.01 suits the CNNs) or train longer.", icon="💡")
top = st.columns([3, 1.2, 1.2])
with top[0]:
    live.controls(view.PAGE, run, values["speed"])
params.widget(W["speed"], top[1])


def render(snap, r):
    extra = f" · test accuracy **{100 * snap.test_acc:.1f} %**"
    st.markdown(f"#### Epoch {snap.epoch:,}\n{snap.step:,} steps · training loss **{snap.train_loss:.4f}** · "
                f"test loss **{snap.test_loss:.4f}**{extra}")
    c = r.curve
    st.plotly_chart(vz.training_figure(c["epoch"], c["train"], c["test"]), key="chart_train", width="stretch")


live.player(view.PAGE, run, values["speed"], render, frame_s=0.6)

st.subheader("The landscape around the current weights")
params.widget(W["view"])
c1, c2, c3, c4 = st.columns(4)
for col, name in zip((c1, c2, c3, c4), ("resolution", "span", "subset", "log")):
    params.widget(W[name], col)
values = params.current(view.SPEC)
query = params.sync_to_url(view.PAGE, view.SPEC)
params.share_box(query, view.PAGE, top[2])

tr = run.trainer
theta = tr.theta.numpy()
n, span, subset, log = values["resolution"], values["span"], values["subset"], values["log"]
if run.playing:
    st.info("Training is running: pause (⏸) to measure the landscape at the current weights.", icon="⏸️")
elif values["view"] == "surface":
    bar, prog = layout.progress_bar("Evaluating the surface…")
    a, b, z = view.random_surface(cfg, theta, n, span, subset, _progress=prog)
    bar.empty()
    st.plotly_chart(vz.contour_figure(a, b, z, log=log, title=f"Loss around epoch {tr.epoch} along two "
                                      "filter-normalized random directions"), key="chart_contour", width="stretch")
    st.plotly_chart(vz.surface3d_figure(a, b, z, log=log, title="The same surface in 3-D (drag to rotate)"),
                    key="chart_3d", width="stretch")
    st.caption(f"{n}×{n} = {n * n:,} parameter vectors evaluated in batches on {min(subset, cfg.n_train)} "
               f"examples. {100 * ls.flat_region(z, 0.1):.0f} % of the plane lies within 0.1 of the lowest loss.")
elif values["view"] == "trajectory":
    if len(tr.trajectory) < 3:
        st.info("Train a few epochs first: the path needs at least three points.")
    else:
        bar, prog = layout.progress_bar("Evaluating the surface on the path's plane…")
        a, b, z, coords, var = view.pca_surface(cfg, np.stack(tr.trajectory), n, subset, _progress=prog)
        bar.empty()
        st.plotly_chart(vz.contour_figure(
            a, b, z, path=coords, log=log, xlabel=f"PC 1 ({100 * var[0]:.1f} % of the path's variance)",
            ylabel=f"PC 2 ({100 * var[1]:.1f} %)", title="The training path on the plane of its top two "
            "principal directions"), key="chart_path", width="stretch")
        st.caption(f"{len(tr.trajectory)} snapshots of θ (one per epoch, thinned evenly past "
                   f"{ls.MAX_TRAJECTORY}). Random directions miss the path; these two explain "
                   f"{100 * (var[0] + var[1]):.0f} % of its movement.")
elif values["view"] == "interpolation":
    with st.spinner("Training the same setup with another seed…"):
        other, _, _ = view.train_to(cfg.replace(seed=cfg.seed + 1), max(1, tr.epoch))
    curves = view.interpolations(cfg, tr.theta0.numpy(), theta, other, subset)
    st.plotly_chart(vz.interpolation_figure(curves, log=log, title="Loss along straight lines in weight space"),
                    key="chart_interp", width="stretch")
    st.caption("α = 0 is the first end, α = 1 the second; a bump between two solutions is a barrier "
               "between their basins.")
elif values["view"] == "sharpness":
    with st.spinner("Power iteration and stochastic Lanczos on Hessian-vector products…"):
        lam, history, spec = view.sharpness(cfg, theta, subset)
    st.metric("Top Hessian eigenvalue λ_max", f"{lam:.4g}")
    st.plotly_chart(vz.spectrum_figure(spec["grid"], spec["density"], spec["ritz"], history,
                                       title="Curvature of the loss at the current weights"),
                    key="chart_spectrum", width="stretch")
    st.caption(f"{tr.theta.numel():,} parameters; Hessian of the mean cross-entropy on {min(subset, cfg.n_train)} "
               "examples. A large λ_max is a sharp minimum: gradient descent is stable only for η < 2/λ_max "
               f"(here {2 / max(lam, 1e-12):.3g}).")
else:
    cfg_b, name_a, name_b, note = view.variant_of(cfg, values["variant"])
    params.widget(W["variant"])
    if note:
        st.caption("ℹ️ " + note)
    epochs = max(1, tr.epoch)
    with st.spinner(f"Training {name_b} to epoch {epochs}…"):
        theta_b, loss_b, test_b = view.train_to(cfg_b, epochs)
    bar, prog = layout.progress_bar("Evaluating both surfaces…")
    a, b, za = view.random_surface(cfg, theta, n, span, subset, _progress=prog)
    _, _, zb = view.random_surface(cfg_b, theta_b, n, span, subset, _progress=prog)
    bar.empty()
    lam_a = view.sharpness(cfg, theta, subset)[0]
    lam_b = view.sharpness(cfg_b, theta_b, subset)[0]
    st.plotly_chart(vz.compare_figure(a, b, za, zb, names=(name_a, name_b), log=log,
                                      title=f"Same directions seed, same colour scale, epoch {epochs}"),
                    key="chart_compare", width="stretch")
    fa, fb = ls.flat_region(za, 0.1), ls.flat_region(zb, 0.1)
    if abs(lam_a - lam_b) <= 0.05 * max(abs(lam_a), abs(lam_b), 1e-12):
        verdict = "both minima are about equally sharp"
    else:
        verdict = f"{name_a if lam_a > lam_b else name_b} sits in the sharper minimum"
    st.markdown(f"**Reading:** {verdict} — top Hessian eigenvalue {lam_a:.3g} ({name_a}) vs {lam_b:.3g} "
                f"({name_b}); {100 * fa:.0f} % vs {100 * fb:.0f} % of the plane lies within 0.1 of each "
                f"surface's lowest loss. Test loss {tr.snapshot.test_loss:.3f} vs {test_b:.3f}.")

layout.explain("filter-normalized surfaces and sharpness", [
    "A surface plots the loss on a plane through the trained weights θ* spanned by two directions:",
    ("latex", r"f(a, b) = L\big(\theta^* + a\,\delta + b\,\eta\big)"),
    "Random directions are **filter-normalized** (Li et al. 2018): each filter (a convolution's output "
    "channel, a linear layer's output row) of δ is scaled to the norm of the same filter of θ*, and biases are "
    "left out, so that scale-invariant networks can be compared:",
    ("latex", r"\delta_{i} \leftarrow \frac{\delta_{i}}{\lVert\delta_{i}\rVert}\,\lVert\theta^*_{i}\rVert"),
    "The training path is drawn on the plane of the top two principal directions of θ_t − θ*, because "
    "random directions are almost orthogonal to it in high dimension.",
    "Sharpness is the top eigenvalue of the Hessian, found by power iteration on Hessian-vector products "
    "(no Hessian is ever formed); the whole spectrum is estimated by stochastic Lanczos quadrature:",
    ("latex", r"v_{k+1} = \frac{H v_k}{\lVert H v_k\rVert},\qquad \lambda_{\max} \approx v_k^\top H v_k"),
])
layout.presets("loss_landscape", [
    ("Skip connections off", "Residual CNN without skips: a rougher, sharper landscape.",
     {"model": "resnet", "skip": "0", "view": "compare", "variant": "skip", "learning_rate": "0.01",
      "train_to": "30"}),
    ("Small vs large batch", "Does a large batch find a sharper minimum?",
     {"view": "compare", "variant": "batch", "train_to": "40"}),
    ("Where SGD walks", "The MLP's path on its PCA plane.",
     {"view": "trajectory", "optimizer": "sgd", "learning_rate": "0.3", "train_to": "40"}),
    ("CNN sharpness", "Top eigenvalue and spectrum of a small CNN on digits.",
     {"model": "cnn", "view": "sharpness", "learning_rate": "0.01"}),
    ("Two solutions", "Interpolate between two seeds' solutions.", {"view": "interpolation", "dataset": "circle"}),
])
