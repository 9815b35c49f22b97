"""A literal, per-sample port of TensorFlow Playground's nn.ts — the slow oracle.

Objects and loops exactly as the peer writes them (Node, Link, forwardProp, backProp,
updateWeights); the fast engine must agree with it on any configuration.
"""
from __future__ import annotations

import math


def _act(name):
    if name == "tanh":
        return math.tanh, lambda x: 1 - math.tanh(x) ** 2
    if name == "relu":
        return (lambda x: max(0.0, x)), (lambda x: 0.0 if x <= 0 else 1.0)
    if name == "sigmoid":
        s = lambda x: 1 / (1 + math.exp(-x))  # noqa: E731
        return s, lambda x: s(x) * (1 - s(x))
    return (lambda x: x), (lambda x: 1.0)


class Node:
    def __init__(self, act, bias):
        self.f, self.df = _act(act)
        self.bias = bias
        self.inputs, self.outputs = [], []
        self.total = self.output = self.output_der = self.input_der = 0.0
        self.acc_input_der = 0.0
        self.n_acc = 0


class Link:
    def __init__(self, src, dst, weight):
        self.src, self.dst, self.weight = src, dst, weight
        self.acc = 0.0
        self.n_acc = 0
        self.dead = False


class Net:
    """Built from explicit initial weights: weights[l][dest][source], biases[l][dest]."""

    def __init__(self, n_inputs, hidden_act, out_act, weights, biases, regularization):
        self.layers = [[Node("linear", 0.0) for _ in range(n_inputs)]]
        for li, (wl, bl) in enumerate(zip(weights, biases)):
            act = out_act if li == len(weights) - 1 else hidden_act
            layer = []
            for d, row in enumerate(wl):
                node = Node(act, bl[d])
                for s, w in enumerate(row):
                    link = Link(self.layers[-1][s], node, w)
                    node.inputs.append(link)
                    self.layers[-1][s].outputs.append(link)
                layer.append(node)
            self.layers.append(layer)
        self.reg = regularization

    def forward(self, x):
        for node, v in zip(self.layers[0], x):
            node.output = v
        for layer in self.layers[1:]:
            for node in layer:
                node.total = node.bias + sum(l.weight * l.src.output for l in node.inputs)
                node.output = node.f(node.total)
        return self.layers[-1][0].output

    def backward(self, target):
        out = self.layers[-1][0]
        out.output_der = out.output - target
        for li in range(len(self.layers) - 1, 0, -1):
            for node in self.layers[li]:
                node.input_der = node.output_der * node.df(node.total)
                node.acc_input_der += node.input_der
                node.n_acc += 1
            for node in self.layers[li]:
                for link in node.inputs:
                    if link.dead:
                        continue
                    link.acc += node.input_der * link.src.output
                    link.n_acc += 1
            if li == 1:
                continue
            for node in self.layers[li - 1]:
                node.output_der = sum(l.weight * l.dst.input_der for l in node.outputs)

    def update(self, lr, rate):
        for layer in self.layers[1:]:
            for node in layer:
                if node.n_acc > 0:
                    node.bias -= lr * node.acc_input_der / node.n_acc
                    node.acc_input_der = 0.0
                    node.n_acc = 0
                for link in node.inputs:
                    if link.dead:
                        continue
                    if self.reg == "L1":
                        rder = 0.0 if link.weight == 0 else (1.0 if link.weight > 0 else -1.0)
                    elif self.reg == "L2":
                        rder = link.weight
                    else:
                        rder = 0.0
                    if link.n_acc > 0:
                        link.weight = link.weight - (lr / link.n_acc) * link.acc
                        new = link.weight - (lr * rate) * rder
                        if self.reg == "L1" and link.weight * new < 0:
                            link.weight = 0.0
                            link.dead = True
                        else:
                            link.weight = new
                        link.acc = 0.0
                        link.n_acc = 0

    def loss(self, xs, ys):
        return sum(0.5 * (self.forward(x) - y) ** 2 for x, y in zip(xs, ys)) / len(ys)

    def one_step(self, xs, ys, batch, lr, rate):
        for i, (x, y) in enumerate(zip(xs, ys)):
            self.forward(x)
            self.backward(y)
            if (i + 1) % batch == 0:
                self.update(lr, rate)
