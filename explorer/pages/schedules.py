"""Learning-rate schedules (§3.4): plotted, then applied to the same training run."""
import streamlit as st

from explorer.engines.device import cap_threads
from explorer.ui import layout, params
from explorer.ui import schedules_view as view

W = view.BY_NAME
layout.header(view.PAGE, "Pick schedules and a base rate: the top chart shows the learning rate at every "
              "update, the bottom one what it does to the same network trained from the same seed.")
params.show_notices(params.sync_from_url(view.PAGE, view.SPEC))
with st.sidebar:
    st.header("Schedules")
    params.widget(W["schedules"])
    params.widget(W["base_lr"])
    params.widget(W["steps"])
    params.widget(W["warmup_frac"])
    st.header("Training run")
    params.widget(W["optimizer"])
    params.widget(W["seed"])
    st.header("Display")
    params.widget(W["log_lr"])

v = params.current(view.SPEC)
for p in params.invalid(view.SPEC):
    st.caption(f"ℹ️ {p.label}: that choice cannot be used (pick at least one); using the default meanwhile.")
query = params.sync_to_url(view.PAGE, view.SPEC)
params.share_box(query, view.PAGE, st.columns([4, 1])[1])

cap_threads()
cfgs = view.configs(v)
view.lr_view(cfgs, v["log_lr"])
c = cfgs[0]
st.caption(f"T = {c.steps} updates · step decay ÷10 every {c.step_size} · SGDR's first cycle T₀ = "
           f"{c.restart_period} updates, each next one twice as long · warm-up W = {c.warmup_steps} updates · "
           "one-cycle peaks after 30 % of T.")
view.training_view(view.run_all(cfgs), c)

layout.explain("learning-rate schedules", view.EXPLAIN)
layout.presets(view.PAGE, [
    ("Too hot for a constant rate", "η₀ = 1 with SGD: the constant run blows up, decaying ones recover.",
     {"base_lr": "1"}),
    ("A gentle rate", "η₀ = 0.03: now decaying early mostly slows training down.",
     {"base_lr": "0.03", "schedules": "constant,step,exponential,cosine"}),
    ("Adam needs warm-up", "Adam at η₀ = 0.3: without warm-up the first updates throw the loss up.",
     {"optimizer": "adam", "base_lr": "0.3", "schedules": "constant,warmup,warmup_cosine", "warmup_frac": "0.2"}),
    ("Warm restarts", "SGDR's jumps back up against one long cosine.",
     {"schedules": "cosine,warm_restarts", "steps": "400", "log_lr": "1"}),
    ("One-cycle vs cosine", "A high peak rate reached slowly, then annealed to almost zero.",
     {"schedules": "constant,cosine,one_cycle", "base_lr": "1"}),
])
