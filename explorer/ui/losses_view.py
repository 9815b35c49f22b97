"""The losses page's controls table, cached computations and the views of each lesson part."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from explorer.engines import losses as eng
from explorer.engines.device import cap_threads
from explorer.ui import params
from explorer.ui.params import Param
from explorer.viz import losses as vz

PAGE = "losses"
PARTS = {"regression": "Regression: an outlier", "classification": "Classification: margins & imbalance"}
R, I = eng.RobustConfig(), eng.ImbalanceConfig()
CHART = {"width": "stretch", "config": {"displayModeBar": False}}

SPEC = [
    Param("part", "Lesson part", "choice", "regression", choices=tuple(PARTS), widget="segmented", fmt=PARTS.get),
    # robust regression
    Param("outlier_x", "Outlier x", "float", R.outlier_x, lo=-1.0, hi=1.0, step=0.05,
          help="Where the outlier sits along x. At the ends (|x| near 1) it has the most leverage."),
    Param("outlier_y", "Outlier y", "float", R.outlier_y, lo=-15.0, hi=15.0, step=0.5,
          help="Drag it far from the line and watch which fits follow."),
    Param("outliers", "Outliers (stacked copies)", "int", R.outliers, lo=0, hi=10,
          help="How many points sit at the outlier's spot (0 removes it)."),
    Param("delta", "Huber δ", "float", R.delta, lo=0.1, hi=5.0, step=0.1,
          help="Residuals smaller than δ are squared (like MSE), larger ones count linearly (like MAE)."),
    Param("degree", "Polynomial degree", "int", R.degree, lo=0, hi=3,
          help="0 fits a constant (MSE → mean, MAE → median), 1 a line, 2–3 a curve."),
    Param("n_points", "Points", "int", R.n_points, lo=5, hi=100, step=5),
    Param("noise", "Noise σ", "float", R.noise, lo=0.0, hi=1.0, step=0.05),
    Param("w_mse", "Custom: weight of MSE", "float", R.w_mse, lo=0.0, hi=1.0, step=0.05),
    Param("w_mae", "Custom: weight of MAE", "float", R.w_mae, lo=0.0, hi=1.0, step=0.05),
    Param("w_huber", "Custom: weight of Huber", "float", R.w_huber, lo=0.0, hi=1.0, step=0.05),
    # classification
    Param("gamma", "Focal γ", "float", I.gamma, lo=0.0, hi=5.0, step=0.25,
          help="γ = 0 is cross-entropy; larger γ shrinks the loss of examples already classified well."),
    Param("alpha", "Focal α (minority weight)", "float", I.alpha, lo=0.05, hi=0.95, step=0.05,
          help="Weight 2α on minority points and 2(1−α) on majority points; 0.5 weighs both alike."),
    Param("ratio", "Imbalance (majority : minority)", "int", int(I.ratio), lo=1, hi=50,
          help="Majority points per minority point."),
    Param("cls_points", "Training points", "int", I.n_points, lo=100, hi=600, step=50),
    Param("cls_noise", "Class overlap (noise σ)", "float", I.noise, lo=0.05, hi=0.6, step=0.05),
    Param("hidden", "Hidden units (0 = logistic regression)", "int", I.hidden, lo=0, hi=32),
    Param("steps", "Training steps (full-batch Adam)", "int", I.steps, lo=50, hi=1000, step=50),
    Param("w_ce", "Custom: weight of cross-entropy", "float", I.w_ce, lo=0.0, hi=1.0, step=0.05),
    Param("w_hinge", "Custom: weight of hinge", "float", I.w_hinge, lo=0.0, hi=1.0, step=0.05),
    Param("w_focal", "Custom: weight of focal", "float", I.w_focal, lo=0.0, hi=1.0, step=0.05),
    Param("seed", "Seed", "int", 0, lo=0, hi=9999, widget="number", help="The same seed gives the same data and run."),
]
BY_NAME = {p.name: p for p in SPEC}
REG_CONTROLS = ("outlier_x", "outlier_y", "outliers", "delta", "degree", "n_points", "noise")
CLS_CONTROLS = ("gamma", "alpha", "ratio", "cls_points", "cls_noise", "hidden", "steps")


def sidebar(part: str) -> None:
    """Draw the controls of the chosen part in the sidebar."""
    with st.sidebar:
        reg = part == "regression"
        st.header("Robust regression" if reg else "Imbalanced classification")
        for name in REG_CONTROLS if reg else CLS_CONTROLS:
            params.widget(BY_NAME[name], st.sidebar)
        st.header("Custom loss")
        st.caption("A weighted sum of the losses above, fitted like the others.")
        for name in ("w_mse", "w_mae", "w_huber") if reg else ("w_ce", "w_hinge", "w_focal"):
            params.widget(BY_NAME[name], st.sidebar)
        st.header("Run")
        params.widget(BY_NAME["seed"], st.sidebar)


def robust_config(v: dict) -> eng.RobustConfig:
    return eng.RobustConfig(n_points=v["n_points"], noise=v["noise"], degree=v["degree"], outlier_x=v["outlier_x"],
                            outlier_y=v["outlier_y"], outliers=v["outliers"], delta=v["delta"], w_mse=v["w_mse"],
                            w_mae=v["w_mae"], w_huber=v["w_huber"], seed=v["seed"])


def imbalance_config(v: dict) -> eng.ImbalanceConfig:
    return eng.ImbalanceConfig(n_points=v["cls_points"], ratio=float(v["ratio"]), noise=v["cls_noise"],
                               gamma=v["gamma"], alpha=v["alpha"], hidden=v["hidden"], steps=v["steps"],
                               w_ce=v["w_ce"], w_hinge=v["w_hinge"], w_focal=v["w_focal"], seed=v["seed"])


@st.cache_data(max_entries=32, show_spinner=False)
def _fit(cfg: eng.RobustConfig) -> eng.RobustFit:
    cap_threads()
    return eng.fit_robust(cfg)


@st.cache_data(max_entries=32, show_spinner=False)
def _train(cfg: eng.ImbalanceConfig) -> tuple[eng.ImbalanceResult, tuple]:
    cap_threads()
    res = eng.train_imbalanced(cfg)
    return res, res.probabilities(60)


def _custom_label(names: tuple, weights: tuple) -> str:
    terms = [f"{w:g}·{n}" for w, n in zip(weights, names) if w]
    return "Custom (" + " + ".join(terms) + ")"


def regression_part(v: dict) -> None:
    cfg = robust_config(v)
    fit = _fit(cfg)
    labels = {n: eng.REG_NAMES[n] for n in eng.REG_LOSSES}
    labels["huber"] = f"Huber (δ = {cfg.delta:g})"
    labels["custom"] = _custom_label(("MSE", "MAE", "Huber"), cfg.weights)
    st.plotly_chart(vz.robust_fit_figure(fit.x, fit.y, fit.is_outlier, fit.grid_x, fit.truth, fit.line, labels,
                                         title="The same points, fitted under each loss"), key="chart_fit", **CHART)
    if not any(cfg.weights):
        st.caption("ℹ️ All custom weights are 0, so there is no custom fit. Raise one to add it.")
    rows = []
    for name in fit.coef:
        coef = fit.coef[name]
        row = {"loss": labels[name], "intercept": coef[0]}
        if cfg.degree >= 1:
            row["slope"] = coef[1]
        if cfg.outliers:
            row["outlier's residual"] = fit.residual[name][fit.is_outlier].mean()
            row["outlier's share of the pull"] = f"{100 * fit.outlier_share(name):.0f} %"
        row["mean loss"] = fit.objective[name]
        rows.append(row)
    st.dataframe(pd.DataFrame(rows).set_index("loss"), width="stretch",
                 column_config={c: st.column_config.NumberColumn(format="%.3f")
                                for c in ("intercept", "slope", "outlier's residual", "mean loss")})
    r_out = {n: float(fit.residual[n][fit.is_outlier].mean()) for n in fit.coef} if cfg.outliers else None
    reach = max([3.0, cfg.delta * 1.5] + [1.1 * abs(r) for r in (r_out or {}).values()])
    grid = np.linspace(-min(reach, 25.0), min(reach, 25.0), 801)
    curves = eng.curves("regression", grid, delta=cfg.delta, weights=cfg.weights)
    st.plotly_chart(vz.curves_figure(grid, curves, labels, kind="regression", marks=r_out, delta=cfg.delta),
                    key="chart_curves", **CHART)
    st.caption("★ marks the outlier's residual under each fit. MSE's pull grows with the residual, so one far "
               "point can drag the whole line; MAE's pull is capped at 1 and Huber's at δ.")


def classification_part(v: dict) -> None:
    cfg = imbalance_config(v)
    grid = np.linspace(-4, 4, 801)
    labels = {n: eng.MARGIN_NAMES[n] for n in (*eng.MARGIN_LOSSES, "zero_one")}
    labels["focal"] = f"Focal (γ = {cfg.gamma:g})"
    labels["custom"] = _custom_label(("CE", "hinge", "focal"), cfg.weights)
    curves = eng.curves("margin", grid, gamma=cfg.gamma, weights=cfg.weights)
    st.plotly_chart(vz.curves_figure(grid, curves, labels, kind="margin"), key="chart_margin", **CHART)
    st.caption("A positive margin is a correct prediction, a large one a confident correct prediction. Hinge stops "
               "caring at m = 1; cross-entropy never quite stops; focal fades out much earlier as γ grows.")
    st.subheader(f"Focal loss on imbalanced data ({cfg.ratio:g} : 1)")
    with st.spinner("Training the classifiers…"):
        res, (xs, ys, probs) = _train(cfg)
    names = list(res.names)
    labels["focal"] = f"Focal (γ = {cfg.gamma:g}, α = {cfg.alpha:g})"
    st.plotly_chart(vz.imbalance_figure(res.train_xy, res.train_y, xs, ys, probs, [labels[n] for n in names]),
                    key="chart_boundaries", **CHART)
    if "custom" not in names:
        st.caption("ℹ️ All custom weights are 0, so there is no custom model. Raise one to add it.")
    c1, c2 = st.columns(2)
    c1.plotly_chart(vz.metrics_figure(res.metrics, labels), key="chart_metrics", **CHART)
    c2.plotly_chart(vz.gamma_sweep_figure(res.sweep_gammas, res.sweep_recall, res.sweep_precision,
                                          res.sweep_confidence, current=cfg.gamma,
                                          title=f"Focal loss across γ (α = {cfg.alpha:g})"),
                    key="chart_sweep", **CHART)
    ce, fo = res.metrics["ce"], res.metrics["focal"]
    st.markdown(f"Minority recall: cross-entropy **{100 * ce['recall_1']:.0f} %**, focal **{100 * fo['recall_1']:.0f} %** · "
                f"mean confidence **{100 * res.confidence['ce']:.0f} %** → **{100 * res.confidence['focal']:.0f} %** "
                f"(test set of 4,000 points with the same imbalance).")
