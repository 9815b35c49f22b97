"""Calculus figures from tiny arrays: traces, arrows, the graph's boxes and labels."""
import base64

import numpy as np

from explorer.viz import calculus as vz


def arr(v) -> np.ndarray:
    """A plotly JSON array, plain or base64-typed ({"dtype", "bdata"})."""
    if isinstance(v, dict) and "bdata" in v:
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
    return np.array([np.nan if x is None else x for x in v], dtype=float)


def names(d):
    return [t.get("name") for t in d["data"]]


def test_arrows_trace():
    t = vz.arrows([[0, 0], [1, 0]], [[0, 1], [1, 1]], "a", "#000")
    assert np.array_equal(t["x"], [0.0, 0.0, np.nan, 1.0, 2.0, np.nan], equal_nan=True)
    assert list(t["marker"]["size"]) == [0, 12, 0, 0, 12, 0]


def test_display_values_log():
    z = np.array([[1.0, 10.0], [100.0, 1000.0]])
    d, title = vz.display_values(z, True)
    assert d[0, 0] == 0.0 and d[1, 1] == np.log10(1000.0) and "log" in title
    assert vz.display_values(z, False)[0] is z or np.array_equal(vz.display_values(z, False)[0], z)


def test_surface_figure_colours_curvature_and_marks_critical_points():
    xs = ys = np.linspace(-1, 1, 5)
    z = xs[None, :] ** 2 - ys[:, None] ** 2
    base = np.array([[0.5, 0.5], [-0.5, 0.5]])
    d = vz.surface_figure(xs, ys, z, False, base, np.array([[1.0, -1.0], [0.0, 0.0]]), np.array([0.2, 0.1]),
                          np.array([0.4, -0.2]), np.eye(2), np.array([-2.0, 2.0]),
                          [(0.0, 0.0, "saddle")], (-1, 1, -1, 1), "Saddle").to_dict()
    n = names(d)
    assert "saddle" in n and any(s.startswith("p = ") for s in n)
    e1 = next(t for t in d["data"] if (t.get("name") or "").startswith("Hessian e₁"))
    e2 = next(t for t in d["data"] if (t.get("name") or "").startswith("Hessian e₂"))
    assert e1["line"]["color"] == vz.DOWN and e2["line"]["color"] == vz.UP
    assert d["layout"]["yaxis"]["scaleanchor"] == "x" and d["layout"]["title"]["text"] == "Saddle"


def test_slices_figure_has_curve_and_model_per_direction():
    s = np.linspace(-1, 1, 5)
    d = vz.slices_figure(s, np.vstack([s ** 2, -s ** 2]), np.vstack([s ** 2, -s ** 2]), np.array([-2.0, 2.0]))
    d = d.to_dict()
    assert len(d["data"]) == 4 and "quadratic model" in d["data"][1]["name"]
    assert d["data"][0]["line"]["color"] == vz.DOWN and d["data"][2]["line"]["color"] == vz.UP


def test_jacobian_figure_uses_two_panels_and_scaled_columns():
    dom = np.array([[0.0, 0.0], [1.0, 0.0]])
    jac = np.array([[2.0, 0.0], [0.0, 3.0]])
    d = vz.jacobian_figure(dom, dom * 2, dom * 2, np.zeros(2), np.zeros(2), jac, 0.5).to_dict()
    assert d["layout"]["xaxis2"]["domain"][0] > d["layout"]["xaxis"]["domain"][1]
    col1 = next(t for t in d["data"] if (t.get("name") or "").startswith("h·J e₁"))
    assert list(arr(col1["x"])[:2]) == [0.0, 1.0] and col1["xaxis"] == "x2"
    col2 = next(t for t in d["data"] if (t.get("name") or "").startswith("h·J e₂"))
    assert list(arr(col2["y"])[:2]) == [0.0, 1.5]


def test_graph_figure_draws_a_box_per_node_and_an_arrow_and_label_per_edge():
    pos = np.array([[0.0, 0.5], [0.0, -0.5], [1.0, 0.0]])
    d = vz.graph_figure(["x", "y", "f = ×"], ["var", "var", "out"], pos, [2.0, 3.0, 6.0], [3.0, 2.0, 1.0],
                        [(0, 2, 3.0), (1, 2, 2.0)], "f = x*y").to_dict()
    assert len(d["layout"]["shapes"]) == 3
    texts = [a["text"] for a in d["layout"]["annotations"]]
    assert "×3" in texts and "×2" in texts
    assert any("∂f = 3" in t and "<b>x</b>" in t for t in texts)
    assert sum(1 for a in d["layout"]["annotations"] if a.get("showarrow")) == 2
    assert d["layout"]["shapes"][2]["fillcolor"] == "#fde9cf"


def test_lagrange_figure_draws_the_constraint_level_sets_and_gradients():
    xs = ys = np.linspace(-2, 2, 9)
    z = xs[None, :] + 2 * ys[:, None]
    t = np.linspace(0, 2 * np.pi, 50)
    curve = np.c_[np.cos(t), np.sin(t)]
    p = np.array([1, 2]) / np.sqrt(5)
    ex = [{"point": p, "kind": "max", "value": np.sqrt(5), "grad_f": np.array([1.0, 2.0]), "grad_g": 2 * p,
           "best": True}]
    probe = {"point": np.array([1.0, 0.0]), "grad_f": np.array([1.0, 2.0]), "grad_g": np.array([2.0, 0.0]),
             "tangent": np.array([0.0, 1.0]), "slope": 2.0}
    d = vz.lagrange_figure(xs, ys, z, curve, ex, probe, (-2, 2, -2, 2), "f on a circle").to_dict()
    n = names(d)
    assert "constraint g(x, y) = c" in n and "constrained maximum" in n and "∇f (direction)" in n
    lvl = next(tr for tr in d["data"] if (tr.get("name") or "").startswith("level set f"))
    assert lvl["contours"]["start"] == lvl["contours"]["end"] == np.sqrt(5)
    gf = next(tr for tr in d["data"] if tr.get("name") == "∇f (direction)")
    gg = next(tr for tr in d["data"] if tr.get("name") == "∇g (direction)")
    fx, fy, gx, gy = arr(gf["x"]), arr(gf["y"]), arr(gg["x"]), arr(gg["y"])
    vf, vg = np.array([fx[1] - fx[0], fy[1] - fy[0]]), np.array([gx[1] - gx[0], gy[1] - gy[0]])
    assert abs(vf[0] * vg[1] - vf[1] * vg[0]) < 1e-12  # parallel at the optimum
    assert np.isclose(np.linalg.norm(vf), 0.12 * 4) and np.isclose(np.linalg.norm(vg), 0.12 * 4)
