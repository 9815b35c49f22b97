"""LIME & SHAP (§7.1): model-agnostic explanations of a tabular network and of a CNN, a surrogate tree, and
where the explanations agree."""
import streamlit as st

from explorer.engines.device import cap_threads
from explorer.ui import explainers_view as view
from explorer.ui import layout, params

layout.header(view.PAGE, "Pick a row of the table and see how LIME, SHAP, gradient × input and a surrogate tree "
              "explain the network's prediction; watch the tree's fidelity grow with depth, then explain a digit "
              "with superpixels.")
params.show_notices(params.sync_from_url(view.PAGE, view.SPEC))
W = view.BY_NAME
cap_threads()

with st.sidebar:
    st.header("The table")
    for name in ("data", "row"):
        params.widget(W[name])
    st.header("Budgets")
    for name in ("lime_n", "disc", "shap", "shap_n", "bg", "seed"):
        params.widget(W[name])
    st.header("The digit")
    for name in ("img", "cls", "seg", "nseg", "limg_n", "shap_img", "ibg"):
        params.widget(W[name])
v = params.current(view.SPEC)
query = params.sync_to_url(view.PAGE, view.SPEC)
params.share_box(query, view.PAGE, st.columns([4, 1])[1])

cfg, b = view.tab_config(v), view.budget(v)
n_rows = len(view.model(cfg).data.y_test)
row = min(int(v["row"]), n_rows - 1)
if row != v["row"]:
    st.caption(f"ℹ️ The {view.DATA_LABEL[cfg.dataset].lower()} table has {n_rows} test rows: showing the last, #{row}.")

st.subheader("1 · One row, four explanations")
r = view.row_section(cfg, row, b, int(v["depth"]))
with st.expander("How stable are LIME and SHAP? Rerun them with other seeds"):
    view.stability_section(cfg, row, b, view.model(cfg).data.features)
st.subheader("2 · Where they agree and disagree")
view.agreement_section(r, b)

st.subheader("3 · A surrogate tree that imitates the network")
params.widget(W["depth"], st.columns([2, 3])[0])
v = params.current(view.SPEC)
view.tree_section(cfg, int(v["depth"]), r, row)

st.subheader("4 · Agreement over many rows")
view.many_rows_section(cfg, b, int(v["depth"]))

st.subheader("5 · Superpixels and SHAP on a digit (LeNet on MNIST)")
view.image_section(v, view.image_config(v))

layout.explain("LIME, SHAP, surrogate trees", [
    "All four methods explain one number, the network's probability f(x) = P(class | x) for one input, by splitting "
    "it among the features. They differ in *what absent means* and *how the split is made*.",
    "**LIME** (Ribeiro et al. 2016) samples points z around the data, labels them with the network and fits a "
    "weighted linear model g, with the weight π_x(z) = exp(−d(x, z)²/σ²) favouring points near x:",
    ("latex", r"g = \arg\min_{g} \sum_z \pi_x(z)\,\big(f(z) - g(z)\big)^2 + \lambda\|g\|^2"),
    "Its coefficients are the explanation; its R² says how well a line describes the network near x. The "
    "answer changes with the kernel width, the sampling and the seed.",
    "**SHAP** (Lundberg & Lee 2017) gives each feature its Shapley value: the average, over all orders of adding "
    "features, of how much adding it changes v(S) = E[f(x_S, X_rest)] (the other features drawn from the background):",
    ("latex", r"\varphi_i = \sum_{S \subseteq F\setminus\{i\}} \frac{|S|!\,(|F|-|S|-1)!}{|F|!}"
              r"\big(v(S\cup\{i\}) - v(S)\big), \qquad \mathbb{E}[f] + \sum_i \varphi_i = f(x)"),
    "Kernel SHAP estimates φ by a weighted regression over sampled coalitions (exactly the Shapley values when it "
    "enumerates them all); Deep SHAP propagates DeepLIFT's multipliers; Gradient SHAP averages "
    "∇f · (x − x′) at random points between a background input x′ and x.",
    "**Gradient × input** is the first-order Taylor term ∂f/∂z_i · z_i from the mean (z standardized): cheap, "
    "local, blind to saturation.",
    "A **surrogate tree** is a global explanation: a small decision tree trained to mimic the network's answers. "
    "Its **fidelity** is the share of held-out rows where the two agree; a deeper tree is more faithful and harder "
    "to read:",
    ("latex", r"\text{fidelity} = \frac{1}{n}\sum_{j=1}^{n} \mathbf{1}\big[\text{tree}(x_j) = \text{net}(x_j)\big]"),
    "**Agreement** is measured by Spearman's rank correlation ρ of two methods' contributions and the overlap of "
    "their top-5 features. When they disagree, none is 'the truth': each answers a different question.",
])
layout.presets(view.PAGE, [
    ("Wine, exactly", "13 features: Kernel SHAP is checked against the exact Shapley values.",
     {"data": "wine", "row": "3"}),
    ("Continuous LIME", "LIME on standardized values: now it should rank features like SHAP.", {"disc": "0"}),
    ("Starved budgets", "100 LIME samples, 50 SHAP coalitions: change the seed and watch them move.",
     {"lime_n": "100", "shap_n": "50", "seed": "1"}),
    ("Deep SHAP on the table", "DeepLIFT's rule instead of sampling: exact additivity, no budget.",
     {"shap": "deep"}),
    ("A one-split tree", "Depth 1: how much of the network can one question reproduce?", {"depth": "1"}),
    ("Same reference as LIME", "SHAP against a black image on a grid of 16 squares.",
     {"ibg": "black", "seg": "grid", "nseg": "16"}),
    ("Why not a 7?", "Explain class 7 for the digit 2: which strokes speak against it?", {"cls": "7"}),
    ("Small budgets, shaky answers", "Open the seed check with 100 LIME samples and 50 coalitions.",
     {"lime_n": "100", "shap_n": "50"}),
])
