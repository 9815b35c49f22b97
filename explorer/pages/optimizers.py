"""Optimizers (§3.4): a race on 2-D surfaces, gradient noise by batch size, second-order methods."""
import streamlit as st

from explorer.engines import optimizers as opt
from explorer.ui import layout, live, params
from explorer.ui import optimizers_view as view

W = view.BY_NAME
layout.header(view.PAGE, "Pick a surface and the racers, press ▶ Play and watch them descend; the other tabs "
              "show what batch size and curvature information change.")
params.show_notices(params.sync_from_url(view.PAGE, view.SPEC))
share = st.container()
race_tab, noise_tab, so_tab = st.tabs(list(view.SECTIONS), key="section", on_change="rerun")

# Every tab draws its controls on every run (a widget left undrawn would lose its value);
# only the open tab computes.
with race_tab:
    c = st.columns([1.1, 1.6, 1.6, 1])
    for col, name in zip(c, ("surface", "lr_sgd", "lr_adaptive", "steps")):
        params.widget(W[name], col)
    params.widget(W["racers"])
    with st.expander("Start point and AdamW's weight decay"):
        e = st.columns([1, 1, 1, 1.4])
        params.widget(W["custom_start"], e[0])
        custom = st.session_state["custom_start"]
        params.widget(W["start_x"], e[1], disabled=not custom)
        params.widget(W["start_y"], e[2], disabled=not custom)
        params.widget(W["weight_decay"], e[3])
    ctl = st.columns([3, 1.6])
    params.widget(W["speed"], ctl[1])
with noise_tab:
    n = st.columns(3)
    for col, name in zip(n, ("noise_lr", "noise_updates", "noise_seed")):
        params.widget(W[name], col)
with so_tab:
    q = st.columns(3)
    for col, name in zip(q, ("kappa", "eta_l", "so_iters")):
        params.widget(W[name], col)
    g = st.columns(4)
    for col, name in zip(g, ("mu0", "sigma0", "gauss_lr", "natural_lr")):
        params.widget(W[name], col)

v = params.current(view.SPEC)
for p in params.invalid(view.SPEC):
    share.caption(f"ℹ️ {p.label}: that choice cannot be used (pick at least one); using the default meanwhile.")
params.share_box(params.sync_to_url(view.PAGE, view.SPEC), view.PAGE, share.columns([4, 1])[1])

with race_tab:
    cfg, notes = view.race_config(v)
    for note in notes:
        st.caption("ℹ️ " + note)
    s = opt.SURFACES[cfg.surface]
    st.caption(f"**{s.label}**: {s.note} · η = {cfg.lr_sgd:g}, α = {cfg.lr_adaptive:g}, start "
               f"({cfg.start[0]:g}, {cfg.start[1]:g}).")
    if race_tab.open is not False:
        with st.spinner("Running the race…"):
            result = view.race(cfg)
        run = view.race_run(cfg, result)
        with ctl[0]:
            live.controls(view.PAGE, run, v["speed"])
        live.player(view.PAGE, run, v["speed"], view.race_view(cfg, result), frame_s=0.6)
    layout.explain("the update rules in the race", view.RACE_EXPLAIN)
with noise_tab:
    if noise_tab.open:
        view.noise_view(opt.NoiseConfig(lr=v["noise_lr"], updates=v["noise_updates"], seed=v["noise_seed"]))
    layout.explain("batch, mini-batch and stochastic gradients", view.NOISE_EXPLAIN)
with so_tab:
    if so_tab.open:
        view.second_order_view(opt.SecondOrderConfig(
            kappa=float(v["kappa"]), eta_l=v["eta_l"], iters=v["so_iters"], start=(v["mu0"], v["sigma0"]),
            gauss_lr=v["gauss_lr"], natural_lr=v["natural_lr"]))
    layout.explain("Newton's method and the natural gradient", view.SECOND_ORDER_EXPLAIN)

layout.presets(view.PAGE, [
    ("Rosenbrock's banana", "Reaching the valley is easy; following it to (1, 1) is not.",
     {"surface": "rosenbrock", "steps": "300"}),
    ("Ravine: SGD zig-zags", "A large η on the ill-conditioned bowl: SGD bounces, Nesterov overshoots.",
     {"surface": "bowl", "lr_sgd": "0.45"}),
    ("Escape the saddle", "Start next to a saddle: adaptive methods leave it first.",
     {"surface": "saddle", "racers": "sgd,momentum,adagrad,rmsprop,adam", "steps": "200"}),
    ("A trap of local minima", "Rastrigin: big steps hop between basins, small ones settle anywhere.",
     {"surface": "rastrigin", "racers": "sgd,momentum,adam,adamw,adabelief,adabound"}),
    ("Noisy single samples", "A larger η: one-sample SGD never settles, the full batch does.",
     {"section": view.SECTIONS[1], "noise_lr": "0.5"}),
    ("Newton far from the optimum", "The Hessian is not positive definite there: Newton runs off.",
     {"section": view.SECTIONS[2], "mu0": "4.6", "sigma0": "1"}),
])
