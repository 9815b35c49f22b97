"""The numerics page's own behaviour: a typed number, the charts follow the links, presets."""
import base64
import json
import re
from urllib.parse import parse_qsl, urlparse

import numpy as np

from tests.pages.test_pages import problems, run_page


def charts(at) -> dict:
    return {json.loads(el.proto.spec)["layout"]["title"]["text"]: json.loads(el.proto.spec)
            for el in at.get("plotly_chart")}


def chart(at, start: str) -> dict:
    return next(spec for title, spec in charts(at).items() if title.startswith(start))


def arr(v) -> np.ndarray:
    """A plotly array that may come base64-encoded."""
    if isinstance(v, dict) and "bdata" in v:
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
    return np.asarray(v, dtype=object)


def table(at, i: int = 0):
    return at.dataframe[i].value.set_index("format")


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(label))


def test_defaults_show_every_section():
    at = run_page("numerics")
    assert problems(at) == [] and not at.warning
    titles = " ".join(charts(at))
    for t in ("The bits of x = 0.1", "The representable numbers nearest", "Relative gap", "exp(x) computed",
              "Softmax p", "Largest error in p", "(1 − cos x)/x²", "How the condition number", "2×2 picture",
              "Gradient descent on", "Loss vs iteration", "Iterations to reach"):
        assert t in titles, t
    t = table(at)
    assert t.loc["float32", "stored value (exact decimal)"] == "0.100000001490116119384765625"
    assert t.loc["fp8 e4m3fn", "stored value (exact decimal)"] == "0.1015625"
    assert set(t["torch .to(dtype) of float64(x)"]) == {"same ✓"}
    ranges = table(at, 1)
    assert ranges.loc["fp8 e4m3fn", "max"] == "448" and ranges.loc["fp8 e5m2", "max"] == "57344"
    assert metric(at, "log Σ exp(l), naive") == "inf"  # fp16, scale 8: exp(16) overflows


def test_a_typed_number_sets_the_bits_and_the_table():
    at = run_page("numerics", {"value": "1/3"})
    assert problems(at) == [] and not at.warning
    bits = chart(at, "The bits of x = 1/3")["data"][0]
    row = "".join(bits["text"][0])  # float32 row: 1/3 is 0x3EAAAAAB
    assert row == format(0x3EAAAAAB, "032b")
    t = table(at)
    assert t.loc["float16", "stored value (exact decimal)"] == "0.333251953125"
    assert t.loc["float16", "relative error"] == "0.000244"


def test_out_of_range_and_torch_double_rounding_are_shown():
    t = table(run_page("numerics", {"value": "500"}))
    assert t.loc["fp8 e4m3fn", "what happened"] == "saturated at 448"
    assert t.loc["fp8 e5m2", "stored value (exact decimal)"] == "512"
    t = table(run_page("numerics", {"value": "1.0004882812500009"}))
    assert t.loc["float16", "stored value (exact decimal)"] == "1.0009765625"
    assert t.loc["float16", "torch .to(dtype) of float64(x)"].startswith("1 (rounds twice")
    for v in ("1e400", "-1e-400", "inf", "nan", "0", "2^-149"):
        at = run_page("numerics", {"value": v})
        assert problems(at) == [] and not at.warning, v


def test_junk_typed_gives_a_message_and_keeps_the_page():
    at = run_page("numerics")
    at.text_input(key="value").input("twelve").run()
    assert problems(at) == []
    assert any("not a number" in w.value and "Showing x = 0.1" in w.value for w in at.warning)
    assert chart(at, "The bits of x = 0.1")
    at.text_input(key="value").input("1/0").run()
    assert problems(at) == [] and any("Division by zero" in w.value for w in at.warning)
    at.text_input(key="value").input("3*4").run()  # a character the box does not allow
    assert problems(at) == [] and any("not a number" in w.value for w in at.warning)
    at.text_input(key="value").input("2^-10").run()
    assert problems(at) == [] and not at.warning
    assert table(at).loc["fp8 e4m3fn", "what happened"] == "underflow → 0"


def test_softmax_link_moves_the_numbers():
    at = run_page("numerics", {"sm_fmt": "fp32", "scale": "50"})
    assert metric(at, "log Σ exp(l), naive") == "inf" and metric(at, "max + log") == "100"
    sweep = chart(at, "Largest error in p across logit scales (float32)")
    nan_x = arr(next(t for t in sweep["data"] if t["name"] == "naive gives NaN")["x"]).astype(float)
    assert nan_x.min() > 44 and nan_x.min() < 50  # 2·scale > ln(fp32 max) ≈ 88.7
    ok = run_page("numerics", {"sm_fmt": "fp32", "scale": "20"})
    assert metric(ok, "log Σ exp(l), naive") != "inf"


def test_conditioning_and_gd_links_move_the_metrics():
    at = run_page("numerics", {"logk": "12", "n": "10", "delta": "1e-08"})
    assert problems(at) == []
    assert metric(at, "bound") == "1e+04" and float(metric(at, "worst")) > 9.9e3
    assert float(metric(at, "float32 solve error")) > 0.1
    base = run_page("numerics")
    at = run_page("numerics", {"gd_kappa": "1000", "gd_step": "inv_l"})
    measured = int(metric(at, "iterations, measured").replace(",", ""))
    assert 13_000 < measured < 14_000 and measured > 50 * int(metric(base, "iterations, measured"))
    fig = chart(at, "Iterations to reach")
    assert fig["data"][-1]["name"] == "κ = 1000"


def test_cancellation_choice_changes_the_chart():
    at = run_page("numerics", {"canc": "var"})
    assert problems(at) == [] and chart(at, "Variance of 64 samples")
    at = run_page("numerics", {"canc": "plus1", "fn": "square"})
    assert chart(at, "(1 + x) − 1") and chart(at, "x² computed")


def test_presets_are_valid_links():
    at = run_page("numerics")
    links = re.findall(r"\]\((/numerics\?[^)]+)\)", " ".join(m.value for m in at.markdown))
    assert len(links) >= 6
    for link in links:
        page = run_page("numerics", dict(parse_qsl(urlparse(link).query)))
        assert problems(page) == [] and not page.warning, link
