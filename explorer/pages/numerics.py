"""Numerical computing (§2.5): floating-point formats, overflow, stable formulas, conditioning."""
import streamlit as st

from explorer.ui import layout, params
from explorer.ui import numerics_view as view

layout.header(view.PAGE, "Type a number and watch how fp32, fp16, bf16 and fp8 store it; then push softmax into "
              "NaN, watch subtraction destroy digits, and turn up a condition number until nothing is left.")
params.show_notices(params.sync_from_url(view.PAGE, view.SPEC))
W = view.BY_NAME

st.subheader("1 · How a number is stored")
c = st.columns([2, 3, 1.2])
params.widget(W["value"], c[0])
c[1].caption("Sign · exponent · mantissa: x = (−1)ˢ · 1.m · 2^(e − bias), with subnormals 0.m · 2^(1 − bias) "
             "below the smallest normal number. Try 1/3, 2^-24, 65519, 1e-40, 500, inf.")
v = params.current(view.SPEC)
query = params.sync_to_url(view.PAGE, view.SPEC)
params.share_box(query, view.PAGE, c[2])
view.number_view(str(st.session_state.get("value", v["value"])))

st.subheader("2 · Overflow and underflow")
view.controls(("fn",), [1])
view.range_view(v["fn"])

st.subheader("3 · Softmax: naive vs log-sum-exp")
view.controls(("sm_fmt", "scale", "shift"), [1.6, 2, 2])
view.softmax_view(v["sm_fmt"], float(v["scale"]), float(v["shift"]))

st.subheader("4 · Catastrophic cancellation")
view.controls(("canc",), [1])
view.cancellation_view(v["canc"])

st.subheader("5 · Conditioning: how κ amplifies errors in Ax = b")
view.controls(("logk", "n", "delta", "seed"), [2, 1.5, 2, 1])
view.conditioning_view(view.system_config(v))

st.subheader("6 · Gradient descent slows down with κ")
view.controls(("gd_kappa", "gd_step", "tol"), [2, 1.5, 2])
view.gd_view(view.gd_config(v))

layout.explain("floating point, stability and conditioning", [
    "**Floating point.** A format with e exponent bits and m mantissa bits stores "
    "$x = (-1)^s \\cdot 1.f \\cdot 2^{E - \\text{bias}}$ with $\\text{bias} = 2^{e-1}-1$; the exponent field 0 "
    "holds the subnormals $0.f \\cdot 2^{1-\\text{bias}}$ and the all-ones field holds inf and NaN (IEEE). "
    "fp8 e4m3fn gives that field to ordinary numbers and keeps only S.1111.111 for NaN, so its largest number is "
    "1.75·2⁸ = 448 and it has no infinity.",
    ("latex", r"\varepsilon = 2^{-m},\qquad \mathrm{fl}(x) = x(1+\delta),\ |\delta| \le \tfrac{\varepsilon}{2}"
              r"\quad(\text{normal range, round to nearest})"),
    ("latex", r"x_{\max} = (2 - 2^{-m})\,2^{\,2^{e}-2-\text{bias}},\qquad x_{\min\text{ normal}} = 2^{1-\text{bias}},"
              r"\qquad x_{\min\text{ subnormal}} = 2^{1-\text{bias}-m}"),
    "Ties go to the neighbour whose last mantissa bit is 0 (ties to even). Past the top, IEEE rounding gives inf; "
    "torch saturates fp8 e4m3fn casts at ±448 (recent versions; older ones and ml_dtypes give NaN).",
    "**Softmax.** Adding a constant to every logit changes nothing in exact arithmetic, so subtract the largest:",
    ("latex", r"\operatorname{softmax}(l)_i = \frac{e^{l_i}}{\sum_j e^{l_j}} = \frac{e^{l_i - m}}{\sum_j e^{l_j - m}},"
              r"\qquad \log\sum_j e^{l_j} = m + \log\sum_j e^{l_j - m},\quad m = \max_j l_j"),
    "**Cancellation.** Subtracting two numbers that carry relative errors δ₁, δ₂ gives a relative error "
    "amplified by how close they are:",
    ("latex", r"\frac{|(a(1+\delta_1) - b(1+\delta_2)) - (a-b)|}{|a-b|} \le \frac{|a|+|b|}{|a-b|}\,"
              r"\max(|\delta_1|,|\delta_2|)"),
    "**Conditioning.** For Ax = b with a perturbed right-hand side, and for any backward-stable solver:",
    ("latex", r"\frac{\|\Delta x\|}{\|x\|} \le \kappa(A)\,\frac{\|\Delta b\|}{\|b\|},\qquad "
              r"\kappa(A) = \|A\|\,\|A^{-1}\| = \frac{\sigma_{\max}}{\sigma_{\min}},\qquad "
              r"\frac{\|\hat x - x\|}{\|x\|} \lesssim c\,n\,\kappa(A)\,\varepsilon"),
    "**Gradient descent** on $f(x) = \\tfrac12 x^\\top A x$ with eigenvalues μ ≤ λ ≤ L, κ = L/μ, multiplies each "
    "eigen-coordinate by $1 - \\eta\\lambda$ per step:",
    ("latex", r"\|x_k\| \le q^k \|x_0\|,\quad q = \max_i |1-\eta\lambda_i| = \begin{cases}1 - 1/\kappa & \eta = 1/L\\ "
              r"\frac{\kappa-1}{\kappa+1} & \eta = \frac{2}{L+\mu}\end{cases},\qquad "
              r"k \ge \frac{\ln(1/\text{tol})}{\ln(1/q)} \approx \kappa \ln\frac{1}{\text{tol}}\ \ "
              r"\Big(\text{or } \tfrac{\kappa}{2}\ln\tfrac{1}{\text{tol}}\Big)"),
])
layout.presets(view.PAGE, [
    ("Torch rounds twice", "A float64 just above a fp16 tie: correct rounding goes up, torch (via float32) goes down.",
     {"value": "1.0004882812500009"}),
    ("Past fp8's top", "500 in e4m3fn saturates at 448, e5m2 rounds to 512, fp16 keeps it.", {"value": "500"}),
    ("Into the subnormals", "1e-40: fp32 and bf16 keep a few bits, fp16 and fp8 flush it to 0.",
     {"value": "1e-40"}),
    ("Softmax overflows in fp32", "Logits scaled by 50 break naive softmax even in float32.",
     {"sm_fmt": "fp32", "scale": "50"}),
    ("Softmax underflows", "Shift every logit by −200: all exp(l) are 0 in float32, and 0/0 = NaN.",
     {"sm_fmt": "fp32", "scale": "1", "shift": "-200"}),
    ("Variance gone wrong", "E[x²] − E[x]² loses everything once μ/σ ≈ 1/√ε; Welford does not.", {"canc": "var"}),
    ("Hopeless system", "κ = 10¹²: float32 returns garbage, float64 keeps 4 digits.", {"logk": "12"}),
    ("Ill-conditioned bowl", "κ = 1000 with step 1/L: about κ·ln(10⁶) ≈ 13,800 steps.", {"gd_kappa": "1000",
                                                                               "gd_step": "inv_l"}),
    ("A round bowl", "κ = 1: one step of 2/(L+μ) lands exactly on the minimum.", {"gd_kappa": "1"}),
])
