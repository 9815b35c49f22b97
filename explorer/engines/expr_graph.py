"""Backpropagation by hand on a typed expression graph, checked against ``torch.autograd``.

Pure NumPy; torch only in :func:`autograd_check` (the on-page oracle).

* :func:`parse` — a typed expression (``(x*y + sin(x))*z``) into a :class:`Graph` of
  primitive nodes (≤ MAX_NODES nodes, ≤ MAX_VARS variables), or :class:`ExpressionError`
  with a readable message.
* :func:`backprop` — every node's forward value and, in reverse mode, ∂output/∂node, with
  the local derivative on every edge; non-finite values are reported, not raised.
* :func:`layout_graph` — (n, 2) columns and rows for drawing; :func:`describe` — a node's
  sub-expression as text.
* :func:`autograd_check` — torch recomputes every node's value and gradient;
  :func:`graph_study` — all of the above for a :class:`GraphConfig`.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from explorer.engines.contract import check

FUNCS = ("sin", "cos", "exp", "log", "tanh", "sigmoid", "relu", "sqrt", "abs")
MAX_VARS = 3
MAX_NODES = 40
MAX_LEN = 80
_TOKEN = re.compile(r"\s*(?:(\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|"
                    r"(\*\*|[-+*/^()]))")
OP_SYMBOL = {"add": "+", "sub": "−", "mul": "×", "div": "÷", "neg": "negate", "pow": "^"}


class ExpressionError(ValueError):
    """A typed expression that cannot be parsed or evaluated; the message says why."""


@dataclass(frozen=True)
class Node:
    """op: 'var' | 'const' | 'add' | 'sub' | 'mul' | 'div' | 'neg' | 'pow' | a name in FUNCS.
    args: indices of the input nodes. name: a variable's name. const: a constant's value or
    the exponent of 'pow'."""

    op: str
    args: tuple = ()
    name: str = ""
    const: float = 0.0

    @property
    def label(self) -> str:
        if self.op == "var":
            return self.name
        if self.op == "const":
            return f"{self.const:g}"
        if self.op == "pow":
            return f"^{self.const:g}"
        return OP_SYMBOL.get(self.op, self.op)


@dataclass(frozen=True)
class Graph:
    """Nodes in topological order (inputs before users); the last node is the output.
    variables: names in order of first appearance; var_index: their node indices."""

    nodes: tuple
    variables: tuple
    var_index: tuple
    text: str


class _Parser:
    """Recursive descent: expr := term (± term)*; term := unary ((*|/) unary)*;
    unary := −unary | +unary | power; power := atom (^ number)?; atom := number | name |
    func(expr) | (expr)."""

    def __init__(self, text: str):
        self.text = text
        self.tokens = self._tokenize(text)
        self.i = 0
        self.nodes: list[Node] = []
        self.vars: dict[str, int] = {}

    @staticmethod
    def _tokenize(text: str) -> list[tuple[str, str, int]]:
        out, pos = [], 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                bad = text[pos:].lstrip()[:1]
                raise ExpressionError(f"unexpected character {bad!r} at position {pos + 1}")
            kind = "num" if m.group(1) else "name" if m.group(2) else "op"
            out.append((kind, m.group(1) or m.group(2) or m.group(3), m.start(m.lastindex)))
            pos = m.end()
        return out

    def peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else ("end", "", len(self.text))

    def take(self, value: str | None = None):
        tok = self.peek()
        if value is not None and tok[1] != value:
            where = "the end" if tok[0] == "end" else f"{tok[1]!r} at position {tok[2] + 1}"
            raise ExpressionError(f"expected {value!r} but found {where}")
        self.i += 1
        return tok

    def add(self, node: Node) -> int:
        self.nodes.append(node)
        if len(self.nodes) > MAX_NODES:
            raise ExpressionError(f"the graph has more than {MAX_NODES} nodes; type a shorter expression")
        return len(self.nodes) - 1

    def parse(self) -> Graph:
        if not self.tokens:
            raise ExpressionError("the expression is empty")
        out = self.expr()
        if self.peek()[0] != "end":
            tok = self.peek()
            raise ExpressionError(f"unexpected {tok[1]!r} at position {tok[2] + 1}")
        if self.nodes[out].op in ("var", "const") and len(self.nodes) == 1:
            pass  # a bare variable or number is a (tiny) valid graph
        names = tuple(self.vars)
        return Graph(tuple(self.nodes), names, tuple(self.vars[n] for n in names), self.text)

    def expr(self) -> int:
        left = self.term()
        while self.peek()[1] in ("+", "-"):
            op = "add" if self.take()[1] == "+" else "sub"
            left = self.add(Node(op, (left, self.term())))
        return left

    def term(self) -> int:
        left = self.unary()
        while self.peek()[1] in ("*", "/"):
            op = "mul" if self.take()[1] == "*" else "div"
            left = self.add(Node(op, (left, self.unary())))
        return left

    def unary(self) -> int:
        if self.peek()[1] == "-":
            self.take()
            return self.add(Node("neg", (self.unary(),)))
        if self.peek()[1] == "+":
            self.take()
            return self.unary()
        return self.power()

    def power(self) -> int:
        base = self.atom()
        if self.peek()[1] in ("^", "**"):
            self.take()
            base = self.add(Node("pow", (base,), const=self.exponent()))
        return base

    def exponent(self) -> float:
        sign, paren = 1.0, False
        if self.peek()[1] == "(":
            self.take()
            paren = True
        if self.peek()[1] == "-":
            self.take()
            sign = -1.0
        tok = self.peek()
        if tok[0] != "num":
            raise ExpressionError("the exponent after ^ must be a number (for a variable power write "
                                  "exp(y*log(x)))")
        self.take()
        if paren:
            self.take(")")
        return sign * float(tok[1])

    def atom(self) -> int:
        kind, value, pos = self.peek()
        if kind == "num":
            self.take()
            return self.add(Node("const", const=float(value)))
        if kind == "name":
            self.take()
            if value in FUNCS:
                self.take("(")
                arg = self.expr()
                self.take(")")
                return self.add(Node(value, (arg,)))
            if self.peek()[1] == "(":
                raise ExpressionError(f"unknown function {value!r}; use one of {', '.join(FUNCS)}")
            if value not in self.vars:
                if len(self.vars) >= MAX_VARS:
                    raise ExpressionError(f"at most {MAX_VARS} variables (found {', '.join(self.vars)} and "
                                          f"{value!r})")
                self.vars[value] = self.add(Node("var", name=value))
            return self.vars[value]
        if value == "(":
            self.take()
            inner = self.expr()
            self.take(")")
            return inner
        where = "the end" if kind == "end" else f"{value!r} at position {pos + 1}"
        raise ExpressionError(f"expected a number, a variable, a function or '(' but found {where}")


def parse(text: str) -> Graph:
    """The expression's graph; raises :class:`ExpressionError` with a readable message."""
    check(isinstance(text, str), "text", "a string")
    if len(text) > MAX_LEN:
        raise ExpressionError(f"the expression is longer than {MAX_LEN} characters")
    return _Parser(text).parse()


def _sigmoid(a: float) -> float:
    return 1.0 / (1.0 + math.exp(-a)) if a >= 0 else math.exp(a) / (1.0 + math.exp(a))


def _apply(node: Node, a: list[float]) -> float:
    """One node's forward value from its inputs' values (IEEE: nan/inf instead of errors)."""
    op = node.op
    with np.errstate(all="ignore"):
        if op == "add":
            return a[0] + a[1]
        if op == "sub":
            return a[0] - a[1]
        if op == "mul":
            return a[0] * a[1]
        if op == "div":
            return float(np.divide(np.float64(a[0]), np.float64(a[1])))
        if op == "neg":
            return -a[0]
        if op == "pow":
            return float(np.power(np.float64(a[0]), node.const))
        x = np.float64(a[0])
        if op == "sigmoid":
            return _sigmoid(float(x)) if math.isfinite(x) else float(x > 0)
        fn = {"sin": np.sin, "cos": np.cos, "exp": np.exp, "log": np.log, "tanh": np.tanh,
              "relu": lambda t: np.maximum(t, 0.0), "sqrt": np.sqrt, "abs": np.abs}[op]
        return float(fn(x))


def _local(node: Node, a: list[float], out: float) -> list[float]:
    """∂node/∂input_j for each input, given the inputs' values and the node's own value."""
    op = node.op
    with np.errstate(all="ignore"):
        if op == "add":
            return [1.0, 1.0]
        if op == "sub":
            return [1.0, -1.0]
        if op == "mul":
            return [a[1], a[0]]
        if op == "div":
            b = np.float64(a[1])
            return [float(1.0 / b), float(-a[0] / (b * b))]
        if op == "neg":
            return [-1.0]
        if op == "pow":
            return [float(node.const * np.power(np.float64(a[0]), node.const - 1))]
        x = np.float64(a[0])
        d = {"sin": lambda: np.cos(x), "cos": lambda: -np.sin(x), "exp": lambda: out,
             "log": lambda: 1.0 / x, "tanh": lambda: 1.0 - out * out, "sigmoid": lambda: out * (1.0 - out),
             "relu": lambda: float(x > 0), "sqrt": lambda: 0.5 / np.float64(out),
             "abs": lambda: np.sign(x)}[op]()
        return [float(d)]


@dataclass(frozen=True)
class Backprop:
    """values: (n,) every node's forward value; grads: (n,) ∂output/∂node (reverse mode);
    edges: (src, dst, local derivative ∂dst/∂src) for every input of every node; problem:
    None, or what went non-finite and where."""

    values: np.ndarray
    grads: np.ndarray
    edges: tuple
    problem: str | None


def describe(g: Graph, i: int) -> str:
    """A short text of node i's sub-expression."""
    n = g.nodes[i]
    if n.op in ("var", "const"):
        return n.label
    if n.op in FUNCS:
        return f"{n.op}({describe(g, n.args[0])})"
    if n.op == "neg":
        return f"−({describe(g, n.args[0])})"
    if n.op == "pow":
        base = describe(g, n.args[0])
        return f"{base}^{n.const:g}" if g.nodes[n.args[0]].op in ("var", "const") else f"({base})^{n.const:g}"
    return f"({describe(g, n.args[0])} {OP_SYMBOL[n.op]} {describe(g, n.args[1])})"


def backprop(g: Graph, inputs: dict) -> Backprop:
    """Forward then reverse pass. inputs: variable name → value (floats)."""
    missing = [v for v in g.variables if v not in inputs]
    if missing:
        raise ExpressionError(f"no value for {', '.join(missing)}")
    n = len(g.nodes)
    vals = np.zeros(n)
    local: list[list[float]] = []
    for i, node in enumerate(g.nodes):
        a = [vals[j] for j in node.args]
        vals[i] = float(inputs[node.name]) if node.op == "var" else node.const if node.op == "const" else \
            _apply(node, a)
        local.append(_local(node, a, vals[i]) if node.args else [])
    grads = np.zeros(n)
    grads[-1] = 1.0
    for i in range(n - 1, -1, -1):
        for j, d in zip(g.nodes[i].args, local[i]):
            grads[j] += grads[i] * d
    edges = tuple((j, i, d) for i, node in enumerate(g.nodes) for j, d in zip(node.args, local[i]))
    problem = None
    bad = [i for i in range(n) if not math.isfinite(vals[i])]
    if bad:
        i = bad[0]
        if math.isnan(vals[i]):
            problem = (f"{describe(g, i)} is undefined (nan) at these inputs: outside the function's domain "
                       "(log and sqrt need positive inputs, a fractional power a non-negative base)")
        else:
            problem = (f"{describe(g, i)} is {vals[i]:g} at these inputs: it overflows, or divides by zero")
    else:
        bad = [i for i in range(n) if not math.isfinite(grads[i])]
        if bad:
            problem = (f"the gradient at {describe(g, bad[0])} is not finite at these inputs "
                       "(a slope that is infinite there, like sqrt at 0)")
    return Backprop(vals, grads, edges, problem)


def layout_graph(g: Graph) -> np.ndarray:
    """(n, 2) drawing positions: x = the node's depth (variables at 0, the output last;
    constants one column left of their first user), y spread within each column, ordered by
    the mean height of the inputs (fewer crossings)."""
    n = len(g.nodes)
    depth = np.zeros(n, int)
    for i, node in enumerate(g.nodes):
        if node.args:
            depth[i] = 1 + max(depth[j] for j in node.args)
    for i, node in enumerate(g.nodes):   # constants next to the node that uses them
        if node.op == "const":
            users = [k for k, m in enumerate(g.nodes) if i in m.args]
            if users:
                depth[i] = max(0, min(depth[k] for k in users) - 1)
    y = np.zeros(n)
    for col in range(int(depth.max()) + 1):
        members = [i for i in range(n) if depth[i] == col]
        if col > 0:
            members.sort(key=lambda i: (-np.mean([y[j] for j in g.nodes[i].args]) if g.nodes[i].args else 0.0, i))
        k = len(members)
        for r, i in enumerate(members):
            y[i] = (k - 1) / 2 - r
    return np.c_[depth.astype(float), y]


@dataclass(frozen=True)
class AutogradCheck:
    """torch's values and gradients for every node (n,), and the largest differences."""

    values: np.ndarray
    grads: np.ndarray
    max_value_diff: float
    max_grad_diff: float


def autograd_check(g: Graph, inputs: dict, ours: Backprop) -> AutogradCheck:
    """Rebuild the graph with torch float64 ops, backpropagate with ``torch.autograd``
    (every intermediate keeps its .grad), compare with ``ours`` node by node."""
    import torch

    from explorer.engines.device import cap_threads

    cap_threads()
    fns = {"sin": torch.sin, "cos": torch.cos, "exp": torch.exp, "log": torch.log, "tanh": torch.tanh,
           "sigmoid": torch.sigmoid, "relu": torch.relu, "sqrt": torch.sqrt, "abs": torch.abs}
    t: list = []
    for node in g.nodes:
        a = [t[j] for j in node.args]
        if node.op in ("var", "const"):
            v = torch.tensor(float(inputs[node.name]) if node.op == "var" else node.const, dtype=torch.float64,
                             requires_grad=True)
        elif node.op == "add":
            v = a[0] + a[1]
        elif node.op == "sub":
            v = a[0] - a[1]
        elif node.op == "mul":
            v = a[0] * a[1]
        elif node.op == "div":
            v = a[0] / a[1]
        elif node.op == "neg":
            v = -a[0]
        elif node.op == "pow":
            v = a[0] ** node.const
        else:
            v = fns[node.op](a[0])
        if not v.is_leaf:
            v.retain_grad()
        t.append(v)
    t[-1].backward()
    vals = np.array([float(v.detach()) for v in t])
    grads = np.array([float(v.grad) if v.grad is not None else 0.0 for v in t])
    with np.errstate(all="ignore"):
        dv = float(np.nanmax(np.abs(vals - ours.values))) if np.isfinite(vals).all() else math.nan
        dg = float(np.nanmax(np.abs(grads - ours.grads))) if np.isfinite(grads).all() else math.nan
    return AutogradCheck(vals, grads, dv, dg)


@dataclass(frozen=True)
class GraphConfig:
    """An expression (≤ 80 characters, ≤ 3 variables) and the values of its variables, in
    order of first appearance (extra values are ignored)."""

    expression: str = "(x*y + sin(x))*z"
    values: tuple = (1.5, -2.0, 0.5)

    def __post_init__(self):
        check(isinstance(self.expression, str) and 0 < len(self.expression) <= MAX_LEN, "expression",
              f"1…{MAX_LEN} characters")
        check(isinstance(self.values, tuple) and len(self.values) == MAX_VARS
              and all(isinstance(v, (int, float)) and math.isfinite(v) and abs(v) <= 100 for v in self.values),
              "values", f"{MAX_VARS} finite numbers in [−100, 100]")


@dataclass(frozen=True)
class GraphStudy:
    graph: Graph
    inputs: dict
    result: Backprop
    positions: np.ndarray
    torch: AutogradCheck | None


def graph_study(cfg: GraphConfig, with_torch: bool = True) -> GraphStudy:
    """Parse, run forward and backward, lay out, and (unless the values are not finite)
    check against torch. Raises :class:`ExpressionError` for an expression it cannot parse."""
    g = parse(cfg.expression)
    inputs = dict(zip(g.variables, cfg.values))
    res = backprop(g, inputs)
    chk = autograd_check(g, inputs, res) if with_torch and res.problem is None else None
    return GraphStudy(g, inputs, res, layout_graph(g), chk)

