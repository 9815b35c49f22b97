"""The calculus page's own behaviour: the point's classification, snapping, the Jacobian's
gap, the expression graph checked by autograd, bad typed input, Lagrange's λ."""
import re

import numpy as np

from tests.pages.test_pages import problems, run_page
from tests.pages.plotly_read import titled as chart

PAGE = "calculus"
BACKPROP, LAGRANGE = "Backpropagation", "Lagrange multipliers"


def text(at) -> str:
    return " ".join(m.value for m in at.markdown)


def test_defaults_show_the_surface_the_point_and_the_jacobian():
    at = run_page(PAGE)
    assert problems(at) == [] and not at.warning
    surf = chart(at, "Himmelblau")
    names = [t.get("name") or "" for t in surf["data"]]
    assert "minimum" in names and "maximum" in names and "saddle" in names and "p = (1, 0.8)" in names
    assert "Not a critical point" in text(at) and "cap-shaped" in text(at)
    assert chart(at, "small grid around p")
    assert "det J = **1**" in text(at)  # polar at r = 1


def test_a_bowl_at_its_centre_is_a_minimum_and_the_monkey_saddle_is_undecided():
    at = run_page(PAGE, {"fn": "bowl", "x": "0", "y": "0"})
    assert "local minimum" in text(at)
    at = run_page(PAGE, {"fn": "monkey", "x": "0.3", "y": "0.2", "snap": "1"})
    assert problems(at) == [] and "inconclusive" in text(at)


def test_snap_moves_p_to_himmelblaus_saddle():
    at = run_page(PAGE, {"x": "0", "y": "-2", "snap": "1"})
    assert "saddle point" in text(at) and "Newton's method moved p" in text(at)
    surf = chart(at, "Himmelblau")
    star = next(t for t in surf["data"] if (t.get("name") or "").startswith("p = "))
    assert np.allclose([star["x"][0], star["y"][0]], [-0.127961, -1.953715], atol=1e-5)


def test_a_linear_map_matches_its_jacobian_exactly():
    at = run_page(PAGE, {"map": "linear", "h": "2"})
    gap = float(re.search(r"linear map on this grid: \*\*([^*]+)\*\*", text(at)).group(1))
    assert gap < 1e-12
    at = run_page(PAGE, {"map": "swirl", "h": "1"})
    gap_big = float(re.search(r"linear map on this grid: \*\*([^*]+)\*\*", text(at)).group(1))
    at = run_page(PAGE, {"map": "swirl", "h": "0.5"})
    gap_small = float(re.search(r"linear map on this grid: \*\*([^*]+)\*\*", text(at)).group(1))
    assert gap_small < gap_big / 2.5


def test_backprop_graph_agrees_with_autograd_for_every_node():
    at = run_page(PAGE, {"section": BACKPROP})
    assert problems(at) == []
    assert "✅ **Checked against `torch.autograd`**" in text(at)
    rows = at.dataframe[0].value.to_dict("records")
    assert len(rows) == 7 and rows[-1]["∂f/∂node (by hand)"] == "1"
    assert all(float(r["|difference|"]) <= 1e-12 for r in rows)
    x_row = next(r for r in rows if r["node"] == "x")
    assert float(x_row["∂f/∂node (by hand)"]) == float(x_row["∂f/∂node (torch.autograd)"])
    assert abs(float(x_row["∂f/∂node (by hand)"]) - (-2 + np.cos(1.5)) * 0.5) < 1e-4
    graph = chart(at, "forward values")
    assert len(graph["layout"]["shapes"]) == 7


def test_an_example_button_sets_the_expression_and_relabels_the_sliders():
    at = run_page(PAGE, {"section": BACKPROP})
    at.button(key="ex:neuron").click().run()
    assert problems(at) == []
    assert at.session_state["expr"] == "-log(sigmoid(w*x + b))"
    assert [at.slider(key=k).label for k in ("v1", "v2", "v3")] == ["w =", "x =", "b ="]
    rows = at.dataframe[0].value.to_dict("records")
    w = next(r for r in rows if r["node"] == "w")
    sig = 1 / (1 + np.exp(-(0.8 * 2 - 1)))
    assert abs(float(w["∂f/∂node (by hand)"]) - (sig - 1) * 2) < 1e-4  # ∂L/∂w = (σ − 1)·x


def test_bad_typed_expressions_give_a_message():
    at = run_page(PAGE, {"section": BACKPROP})
    at.text_input(key="expr").input("sin(x").run()
    assert problems(at) == []
    assert any("cannot be read" in w.value and "')'" in w.value for w in at.warning)
    at.text_input(key="expr").input("x $ 2").run()
    assert problems(at) == [] and any("letters, digits" in w.value for w in at.warning)  # "$" is not allowed
    at = run_page(PAGE, {"section": BACKPROP, "expr": "log(x)", "v1": "-1"})
    assert problems(at) == []
    assert any("domain" in w.value for w in at.warning)
    assert at.slider(key="v2").disabled and at.slider(key="v3").disabled


def test_lagrange_quadratic_form_gives_the_eigenvalues_as_multipliers():
    at = run_page(PAGE, {"section": LAGRANGE, "lf": "quadratic"})
    assert problems(at) == []
    rows = at.dataframe[0].value.to_dict("records")
    assert sorted(round(float(r["λ"]), 6) for r in rows) == [1.0, 1.0, 3.0, 3.0]
    assert all(r["angle ∇f, ∇g"] in ("0.0000°", "180.0000°") for r in rows)


def test_lagrange_lambda_matches_the_sensitivity_and_lines_can_be_unbounded():
    at = run_page(PAGE, {"section": LAGRANGE, "c": "2"})
    m = re.search(r"Global max: λ = \*\*([^*]+)\*\*, and moving c by ±10⁻⁴ changes the optimal value at rate "
                  r"\*\*([^*]+)\*\*", text(at))
    assert abs(float(m.group(1)) - np.sqrt(5) / (2 * np.sqrt(2))) < 1e-4 and m.group(1) == m.group(2)
    at = run_page(PAGE, {"section": LAGRANGE, "lg": "line"})
    assert problems(at) == []
    infos = " ".join(i.value for i in at.info)
    assert "No minimum" in infos and "No maximum" in infos
