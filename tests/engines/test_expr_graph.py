"""Backpropagation on expression graphs against torch.autograd, finite differences and
known gradients; parse errors and non-finite values give messages."""
import math

import numpy as np
import pytest
import torch

from explorer.engines import expr_graph as eg

F64 = torch.float64

CASES = [
    ("(x*y + sin(x))*z", (1.5, -2.0, 0.5), lambda x, y, z: (x * y + torch.sin(x)) * z),
    ("-log(sigmoid(w*x + b))", (0.8, 2.0, -1.0), lambda w, x, b: -torch.log(torch.sigmoid(w * x + b))),
    ("x*x", (3.0,), lambda x: x * x),
    ("tanh(w*x)^2 + relu(x - b)", (0.7, 1.2, 0.5), lambda w, x, b: torch.tanh(w * x) ** 2 + torch.relu(x - b)),
    ("exp(-x^2/2) / sqrt(2*3.14159)", (0.3,), lambda x: torch.exp(-x ** 2 / 2) / math.sqrt(2 * 3.14159)),
    ("a/b/c - a - b - c", (1.0, 2.0, 4.0), lambda a, b, c: a / b / c - a - b - c),
    ("cos(p)*abs(q) ** 3 + 2", (0.4, -1.5), lambda p, q: torch.cos(p) * torch.abs(q) ** 3 + 2),
    ("x^-2 + log(y)*x", (1.3, 2.2), lambda x, y: x ** -2 + torch.log(y) * x),
]


@pytest.mark.parametrize("text,vals,ref", CASES)
def test_backprop_matches_torch_written_independently(text, vals, ref):
    g = eg.parse(text)
    assert len(g.variables) == len(vals)
    res = eg.backprop(g, dict(zip(g.variables, vals)))
    t = [torch.tensor(v, dtype=F64, requires_grad=True) for v in vals]
    out = ref(*t)
    grads = torch.autograd.grad(out, t)
    assert res.values[-1] == pytest.approx(float(out), rel=1e-13, abs=1e-14)
    for i, gr in zip(g.var_index, grads):
        assert res.grads[i] == pytest.approx(float(gr), rel=1e-12, abs=1e-14)
    assert res.problem is None


@pytest.mark.parametrize("text,vals,ref", CASES)
def test_backprop_matches_finite_differences(text, vals, ref):
    g = eg.parse(text)
    res = eg.backprop(g, dict(zip(g.variables, vals)))
    for k, name in enumerate(g.variables):
        h = 1e-6
        up = list(vals)
        dn = list(vals)
        up[k] += h
        dn[k] -= h
        fd = (eg.backprop(g, dict(zip(g.variables, up))).values[-1]
              - eg.backprop(g, dict(zip(g.variables, dn))).values[-1]) / (2 * h)
        assert res.grads[g.var_index[k]] == pytest.approx(fd, rel=1e-6, abs=1e-7)


def test_every_node_agrees_with_autograd_on_the_page_check():
    study = eg.graph_study(eg.GraphConfig("(x*y + sin(x))*z", (1.5, -2.0, 0.5)))
    chk = study.torch
    assert chk.max_value_diff <= 1e-15 and chk.max_grad_diff <= 1e-15
    g, res = study.graph, study.result
    # the known gradients of f = (xy + sin x) z
    x, y, z = 1.5, -2.0, 0.5
    expect = {"x": (y + math.cos(x)) * z, "y": x * z, "z": x * y + math.sin(x)}
    for name, i in zip(g.variables, g.var_index):
        assert res.grads[i] == pytest.approx(expect[name], rel=1e-14)
    assert res.grads[-1] == 1.0


def test_a_shared_variable_sums_its_paths():
    g = eg.parse("x*x")
    assert len(g.nodes) == 2 and g.nodes[1].args == (0, 0)
    res = eg.backprop(g, {"x": 3.0})
    assert res.grads[0] == 6.0 and [e[2] for e in res.edges] == [3.0, 3.0]


def test_precedence_and_associativity():
    def val(text, **kw):
        g = eg.parse(text)
        return eg.backprop(g, kw).values[-1]

    assert val("-x^2", x=3.0) == -9.0
    assert val("x/y/z", x=8.0, y=2.0, z=2.0) == 2.0
    assert val("x - y - z", x=1.0, y=2.0, z=3.0) == -4.0
    assert val("2 + 3*x^2", x=2.0) == 14.0
    assert val("(2 + 3)*x", x=2.0) == 10.0
    assert val("x**(-1)", x=4.0) == 0.25


@pytest.mark.parametrize("text,msg", [("", "empty"), ("x +", "found the end"), ("foo(x)", "unknown function"),
                                      ("x^y", "exponent"), ("a+b+c+d", "at most 3 variables"),
                                      ("(x", r"expected '\)'"), ("x)", r"unexpected '\)'"), ("x $ y", "'\\$'"),
                                      ("sin x", "expected '\\('"), ("x" * 81, "longer than 80"),
                                      ("+".join(["1"] * 30), "more than 40 nodes")])
def test_parse_errors_say_what_is_wrong(text, msg):
    with pytest.raises(eg.ExpressionError, match=msg):
        eg.parse(text)


def test_outside_the_domain_is_reported_not_raised():
    res = eg.backprop(eg.parse("log(x)"), {"x": -1.0})
    assert math.isnan(res.values[-1]) and "log(x)" in res.problem and "domain" in res.problem
    res = eg.backprop(eg.parse("sqrt(x)"), {"x": 0.0})
    assert res.values[-1] == 0.0 and "gradient" in res.problem
    res = eg.backprop(eg.parse("1/x"), {"x": 0.0})
    assert "divides by zero" in res.problem
    assert "x^0.5 is undefined" in eg.backprop(eg.parse("x^0.5"), {"x": -2.0}).problem
    study = eg.graph_study(eg.GraphConfig("log(x)", (-1.0, 0.0, 0.0)))
    assert study.torch is None and study.result.problem


def test_layout_puts_inputs_left_of_their_users():
    g = eg.parse("-log(sigmoid(w*x + b))")
    pos = eg.layout_graph(g)
    for i, node in enumerate(g.nodes):
        for j in node.args:
            assert pos[j, 0] < pos[i, 0]
    assert pos[-1, 0] == pos[:, 0].max()
    assert all(pos[i, 0] == 0 for i in g.var_index)
    for col in np.unique(pos[:, 0]):  # no two nodes on the same spot
        ys = pos[pos[:, 0] == col, 1]
        assert len(set(ys)) == len(ys)


def test_graph_config_validation():
    with pytest.raises(ValueError, match="expression"):
        eg.GraphConfig("")
    with pytest.raises(ValueError, match="values"):
        eg.GraphConfig("x", (1.0, float("nan"), 0.0))
    with pytest.raises(ValueError, match="values"):
        eg.GraphConfig("x", (1.0, 2.0))

