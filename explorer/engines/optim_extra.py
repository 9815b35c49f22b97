"""Two optimizers PyTorch does not ship, as ``torch.optim.Optimizer`` subclasses.

* :class:`AdaBelief` — Zhuang et al. 2020, "AdaBelief Optimizer: Adapting Stepsizes by the
  Belief in Observed Gradients" (Algorithm 2). Adam's second moment of the gradient is
  replaced by the EMA of the squared *surprise* ``(g − m)²``: a gradient close to its
  running mean (a strong belief) earns a large step, a surprising one a small step.
* :class:`AdaBound` — Luo et al. 2019, "Adaptive Gradient Methods with Dynamic Bound of
  Learning Rate", as in the authors' official code: Adam whose per-coordinate step
  ``α/√v̂`` is clipped into ``[lower(t), upper(t)]``; both bounds converge to ``final_lr``,
  so late in training it is SGD (with momentum ``β₁``) at learning rate ``final_lr``. The
  paper's Algorithm 2 also divides the clipped step by √t; the official code (and this
  class) does not.

Both work on tensors of any shape, elementwise; the tests check their first steps by hand
and their bounds and moments against the papers' formulas.
"""
from __future__ import annotations

import math

import torch
from torch.optim import Optimizer
from explorer.engines.contract import check as _check




class AdaBelief(Optimizer):
    """AdaBelief, the paper's update (bias-corrected, ε inside and outside the root).

    m_t = β₁ m_{t−1} + (1−β₁) g_t
    s_t = β₂ s_{t−1} + (1−β₂) (g_t − m_t)² + ε
    θ_t = θ_{t−1} − α · (m_t / (1−β₁ᵗ)) / (√(s_t / (1−β₂ᵗ)) + ε)

    ``weight_decay`` adds λθ to the gradient (L2), as in the paper's experiments.
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0):
        _check(lr > 0 and math.isfinite(lr), "lr", "must be a positive number")
        _check(0 <= betas[0] < 1 and 0 <= betas[1] < 1, "betas", "must lie in [0, 1)")
        _check(eps >= 0, "eps", "must be ≥ 0")
        _check(weight_decay >= 0, "weight_decay", "must be ≥ 0")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            b1, b2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad
                if group["weight_decay"]:
                    g = g.add(p, alpha=group["weight_decay"])
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_avg_var"] = torch.zeros_like(p)
                state["step"] += 1
                t = state["step"]
                m, s = state["exp_avg"], state["exp_avg_var"]
                m.mul_(b1).add_(g, alpha=1 - b1)
                surprise = g - m
                s.mul_(b2).addcmul_(surprise, surprise, value=1 - b2).add_(group["eps"])
                m_hat = m / (1 - b1 ** t)
                denom = (s / (1 - b2 ** t)).sqrt_().add_(group["eps"])
                p.addcdiv_(m_hat, denom, value=-group["lr"])
        return loss


class AdaBound(Optimizer):
    """AdaBound: Adam with its step size clipped into bounds that close in on ``final_lr``.

    lower(t) = final_lr · (1 − 1/(γt + 1)),  upper(t) = final_lr · (1 + 1/(γt))
    η_t = clip(α √(1−β₂ᵗ)/(1−β₁ᵗ) / (√v_t + ε), lower(t), upper(t))
    θ_t = θ_{t−1} − η_t · m_t

    (the reference implementation's placement of the bias corrections). ``final_lr`` is
    the SGD learning rate the method ends up with; ``gamma`` sets how fast the bounds
    close (the paper uses 10⁻³ for runs of 10⁵ steps; short 2-D races want a larger γ).
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple = (0.9, 0.999), final_lr: float = 0.1,
                 gamma: float = 1e-3, eps: float = 1e-8, weight_decay: float = 0.0):
        _check(lr > 0 and math.isfinite(lr), "lr", "must be a positive number")
        _check(0 <= betas[0] < 1 and 0 <= betas[1] < 1, "betas", "must lie in [0, 1)")
        _check(final_lr > 0 and math.isfinite(final_lr), "final_lr", "must be a positive number")
        _check(0 < gamma < 1, "gamma", "must lie in (0, 1)")
        _check(eps >= 0, "eps", "must be ≥ 0")
        _check(weight_decay >= 0, "weight_decay", "must be ≥ 0")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), final_lr=final_lr, gamma=gamma, eps=eps,
                                      weight_decay=weight_decay))

    @staticmethod
    def bounds(final_lr: float, gamma: float, t: int) -> tuple[float, float]:
        """(lower, upper) step-size bounds at step t ≥ 1."""
        return final_lr * (1 - 1 / (gamma * t + 1)), final_lr * (1 + 1 / (gamma * t))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            b1, b2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad
                if group["weight_decay"]:
                    g = g.add(p, alpha=group["weight_decay"])
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_avg_sq"] = torch.zeros_like(p)
                state["step"] += 1
                t = state["step"]
                m, v = state["exp_avg"], state["exp_avg_sq"]
                m.mul_(b1).add_(g, alpha=1 - b1)
                v.mul_(b2).addcmul_(g, g, value=1 - b2)
                step_size = group["lr"] * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
                lower, upper = self.bounds(group["final_lr"], group["gamma"], t)
                eta = (step_size / (v.sqrt() + group["eps"])).clamp_(lower, upper)
                p.sub_(eta * m)
        return loss
