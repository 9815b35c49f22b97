"""The convolution page's own behaviour: arithmetic links, invalid settings, kernels, pooling, receptive fields."""
import re
from urllib.parse import parse_qsl, urlparse

import numpy as np

from explorer.engines import convolution as cv
from tests.pages.test_pages import problems, run_page
from tests.pages.plotly_read import charts, titled, array


def trace(fig: dict, name: str) -> dict:
    return next(t for t in fig["data"] if t.get("name") == name)


def latex(at) -> str:
    return " ".join(m.value for m in at.latex)


def test_defaults_show_all_four_sections():
    at = run_page("convolution")
    assert problems(at) == [] and not at.warning
    arith = titled(at, "Which input cells")
    assert len(arith["frames"]) == 9  # 5×5, k 3, p 1, s 2 → 3×3 outputs
    assert array(trace(arith, "output")["z"]).shape == (3, 3)
    assert [b["label"] for b in arith["layout"]["updatemenus"][0]["buttons"]] == ["▶ Animate", "■ Stop"]
    assert r"\left\lfloor \tfrac{4}{2} \right\rfloor + 1 = 3" in latex(at)
    assert titled(at, "Sobel x") and titled(at, "Pooling 2×2 with stride 2") and titled(at, "Pooling the photo")
    assert titled(at, "Receptive field after each layer") and titled(at, "Effective receptive field")
    table = at.dataframe[0].value
    assert list(table["receptive field r"])[-1] == "32×32" and list(table["jump j"])[-1] == 4


def test_a_link_sets_the_arithmetic_and_the_output_position():
    at = run_page("convolution", {"rows": "6", "cols": "10", "kh": "1", "kw": "5", "pad": "0", "stride": "2",
                                  "dil": "1", "pos": "5"})
    assert problems(at) == [] and not at.warning
    arith = titled(at, "Which input cells")
    ex = cv.arithmetic(cv.Arith(rows=6, cols=10, kh=1, kw=5, padding=0, stride=2, dilation=1))
    np.testing.assert_array_equal(array(trace(arith, "output")["z"]), ex.y)
    np.testing.assert_array_equal(array(trace(arith, "kernel")["z"]), ex.w)
    assert len(arith["frames"]) == ex.y.size == 9
    assert trace(arith, "sum")["text"][0].startswith("out[1, 1] = ")  # position 5 of a 3×3 output
    assert r"o_{\text{rows}} = \left\lfloor \frac{6 + 2\cdot0 - 1\cdot(1-1) - 1}{2}" in latex(at)
    assert r"o_{\text{cols}} = \left\lfloor \frac{10 + 2\cdot0 - 1\cdot(5-1) - 1}{2}" in latex(at)
    assert at.session_state["pos"] == 5


def test_a_position_past_the_last_output_is_clamped_with_a_note():
    at = run_page("convolution", {"pos": "50"})
    assert problems(at) == []
    assert any("does not exist here (9 outputs)" in c.value for c in at.caption)
    assert at.session_state["pos"] == 9
    assert trace(titled(at, "Which input cells"), "sum")["text"][0].startswith("out[2, 2] = ")


def test_invalid_settings_give_a_message_not_a_traceback():
    at = run_page("convolution", {"rows": "3", "cols": "3", "kh": "7", "kw": "7", "pad": "0", "dil": "2"})
    assert problems(at) == []
    text = " ".join(w.value for w in at.warning)
    assert "No output position fits" in text and "2·(7−1)+1 = 13" in text and "3+2·0 = 3" in text
    assert not [c for c in charts(at) if "Which input cells" in c["layout"]["title"]["text"]]
    assert "= 0" in latex(at) or "= -" in latex(at)  # the formula still shows the (empty) size
    assert titled(at, "Sobel x")  # the rest of the page carries on


def test_a_custom_kernel_from_a_link_is_applied():
    at = run_page("convolution", {"photo": "text", "kernel": "custom", "custom": "1,1,1;1,-8,1;1,1,1"})
    assert problems(at) == [] and not at.warning
    fig = titled(at, "Custom 3×3")
    np.testing.assert_array_equal(array(fig["data"][1]["z"]), [[1, 1, 1], [1, -8, 1], [1, 1, 1]])
    img = cv.photo("text", 192)
    expected = cv.filter_image(img, np.array([[1, 1, 1], [1, -8, 1], [1, 1, 1]], float))
    np.testing.assert_allclose(array(fig["data"][2]["z"]).reshape(expected.shape), expected, atol=1e-5)


def test_a_bad_custom_kernel_says_what_is_expected():
    at = run_page("convolution", {"kernel": "custom", "custom": "1,2;3"})
    assert problems(at) == []
    text = " ".join(w.value for w in at.warning)
    assert "Custom kernel" in text and "found 2 row(s), expected 3" in text and "0,-1,0;-1,5,-1;0,-1,0" in text
    np.testing.assert_array_equal(array(titled(at, "Custom 3×3")["data"][1]["z"]), cv.KERNELS["sharpen"])
    typed = run_page("convolution", {"kernel": "custom"})
    typed.text_input(key="custom").input("1,2,3;4,5,6;7,8,nine").run()
    assert problems(typed) == []
    assert any("'nine' (row 3, entry 3) is not a number" in w.value for w in typed.warning)


def test_sobel_shows_the_gradient_magnitude_and_blur_does_not():
    at = run_page("convolution", {"photo": "coins", "kernel": "sobel_y"})
    assert problems(at) == []
    fig = titled(at, "Sobel y")
    assert len(fig["data"]) == 4 and "magnitude" in fig["layout"]["annotations"][3]["text"]
    blur = titled(run_page("convolution", {"kernel": "gauss"}), "Gaussian blur")
    assert len(blur["data"]) == 3


def test_pooling_follows_its_controls():
    at = run_page("convolution", {"pool": "3", "pstride": "2", "photo": "astronaut"})
    assert problems(at) == []
    fig = titled(at, "Pooling 3×3 with stride 2")
    patch = array(trace(fig, "patch")["z"]).reshape(8, 8)
    np.testing.assert_allclose(array(trace(fig, "max")["z"]).reshape(3, 3), cv.pool2d(patch, 3, 2, "max"))
    np.testing.assert_allclose(array(trace(fig, "average")["z"]).reshape(3, 3), cv.pool2d(patch, 3, 2, "avg"))
    photo = titled(at, "Pooling the photo")
    assert "→ 95×95" in photo["layout"]["annotations"][1]["text"]  # ⌊(192 − 3)/2⌋ + 1


def test_a_stack_link_fills_the_table_and_the_squares():
    at = run_page("convolution", {"stack": "conv3d2,conv3d2,conv3d2"})
    assert problems(at) == [] and not at.warning
    table = at.dataframe[0].value
    assert list(table["receptive field r"]) == ["1×1", "5×5", "9×9", "13×13"]
    assert list(table["pixels connected"])[-1] == "29 %"
    squares = titled(at, "Receptive field after each layer")
    assert [t["name"] for t in squares["data"][1:]] == ["1: conv 3×3 d2 → 5 px", "2: conv 3×3 d2 → 9 px",
                                                        "3: conv 3×3 d2 → 13 px"]
    erf = titled(at, "Effective receptive field")
    assert trace(erf, "theoretical receptive field 13×13")


def test_a_bad_stack_says_what_is_expected():
    at = run_page("convolution", {"stack": "conv3,foo"})
    assert problems(at) == []
    text = " ".join(w.value for w in at.warning)
    assert "layer 2, 'foo', is not a layer" in text and "conv3,conv3,pool2,conv3" in text
    assert list(at.dataframe[0].value["receptive field r"])[-1] == "32×32"  # the default stack meanwhile


def test_a_stack_too_large_for_the_gradient_map_says_so():
    at = run_page("convolution", {"stack": "pool4,pool4,pool4,pool4,pool4"})
    assert problems(at) == []
    assert any("receptive field is 1024 px" in i.value and "up to 256 px" in i.value for i in at.info)
    sizes = list(at.dataframe[0].value["output size"])
    assert sizes[2:] == ["14×14", "3×3", "— (nothing left)", "— (nothing left)"]  # 224 → 56 → 14 → 3 → 0
    assert any("shrinks to nothing at layer 4" in c.value for c in at.caption)
    assert titled(at, "Receptive field after each layer")


def test_presets_are_valid_links():
    at = run_page("convolution")
    links = re.findall(r"\]\((/convolution\?[^)]+)\)", " ".join(m.value for m in at.markdown))
    assert len(links) >= 6
    for link in links:
        page = run_page("convolution", dict(parse_qsl(urlparse(link).query)))
        assert problems(page) == [] and not page.warning, link


def test_the_position_slider_follows_a_shrinking_output():
    at = run_page("convolution")
    at.slider(key="pos").set_value(9).run()
    assert trace(titled(at, "Which input cells"), "sum")["text"][0].startswith("out[2, 2] = ")
    at.slider(key="rows").set_value(3).run()  # 3×5 input → 2×3 output: position 9 no longer exists
    assert problems(at) == []
    assert at.session_state["pos"] == 6 and at.slider(key="pos").max == 6
    assert trace(titled(at, "Which input cells"), "sum")["text"][0].startswith("out[1, 2] = ")
    at.slider(key="kh").set_value(7)
    at.slider(key="pad").set_value(0).run()  # nothing fits: no position slider, a message
    assert problems(at) == [] and any("No output position fits" in w.value for w in at.warning)
    at.slider(key="kh").set_value(3).run()
    assert problems(at) == [] and not at.warning
