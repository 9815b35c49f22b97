"""The CNN page's own behaviour: the live run, feature maps, the clickable confusion matrix,
the zoo comparison, gradient flow, presets, and the upload glue (ui/uploads.py)."""
from __future__ import annotations

import io
import re
from urllib.parse import parse_qsl, urlparse

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from explorer.engines import image_io, zoo
from explorer.ui import uploads
from tests.pages.test_pages import problems, run_page
from tests.pages.plotly_read import titled


def text_of(at) -> str:
    return " ".join(m.value for m in at.markdown) + " " + " ".join(c.value for c in at.caption)


def epoch_shown(at) -> str:
    return re.search(r"Epoch ([\d.]+)", text_of(at)).group(1)


def test_defaults_show_every_section():
    at = run_page("cnn")
    assert problems(at) == [] and not at.warning
    assert epoch_shown(at) == "0"
    for words in ("Training curves", "First-layer filters at epoch 0: 6 filters, 5×5", "Feature maps, layer by layer",
                  "Predicted probabilities", "Confusion matrix on the 1,000 test images", "What each architecture",
                  "Gradient norm per conv layer, 55 conv layers deep"):
        assert titled(at, words), words
    conf = titled(at, "Confusion matrix")
    counts = [int(t) for t in conf["data"][1]["text"] if t]
    assert sum(counts) == 1000
    right = float(re.search(r"([\d.]+) % right", conf["layout"]["title"]["text"]).group(1))
    assert right > 90  # the pre-trained reference LeNet
    assert "pre-trained reference LeNet-5" in text_of(at)
    zoo_table = at.dataframe[0].value
    assert len(zoo_table) == len(zoo.ARCHS) == 8 and "test accuracy" not in zoo_table.columns
    flow = titled(at, "Gradient norm")
    assert len(flow["data"]) == 2 and flow["layout"]["yaxis"]["type"] == "log"


def test_step_trains_an_eighth_of_an_epoch_and_reset_goes_back():
    at = run_page("cnn")
    at.button(key="step:cnn").click().run()
    assert problems(at) == [] and epoch_shown(at) == "0.0625"
    snap = at.session_state["_run:cnn"].snapshot
    assert snap.step == 1 and np.isfinite(snap.train_loss)
    at.button(key="reset:cnn").click().run()
    assert epoch_shown(at) == "0"


def test_picking_a_cell_shows_its_misclassified_images():
    at = run_page("cnn")
    box = at.selectbox(key="cell")
    assert box.value is None
    first = box.options[1]  # the most frequent mistake
    n = int(re.search(r"\((\d+) images\)", first).group(1))
    box.select_index(1).run()
    assert problems(at) == []
    fig = titled(at, "test images (showing")
    assert fig["data"][0]["type"] == "image"
    assert f": {n} test images (showing {min(n, 24)};" in fig["layout"]["title"]["text"]
    assert len(fig["layout"]["annotations"]) == min(n, 24)


def _click_script():
    import numpy as np
    import streamlit as st

    from explorer.engines import cnn
    from explorer.ui import cnn_view as view

    conf = cnn.Confusion(np.array([[5, 2], [1, 6]]), np.zeros(14, dtype=np.int64), np.zeros((14, 2)))
    view.apply_click(st.session_state.get("fake_event"), conf)
    st.write(f"outlined={st.session_state.get('cell')}")
    cell = view.cell_picker(conf, ("a", "b"))
    st.write(f"cell={cell}")


def test_a_click_in_the_matrix_picks_the_cell_once():
    """st.plotly_chart's selection event → the cell; a later choice in the selectbox wins
    over the (still selected) click."""
    at = AppTest.from_function(_click_script).run()
    assert at.markdown[1].value == "cell=None"
    at.session_state["fake_event"] = {"selection": {"points": [{"customdata": [0, 1]}]}}
    at.run()
    assert at.markdown[0].value == "outlined=(0, 1)"  # known before the matrix is drawn
    assert at.markdown[1].value == "cell=(0, 1)" and at.selectbox(key="cell").value == (0, 1)
    at.selectbox(key="cell").set_value((1, 0)).run()
    assert at.markdown[1].value == "cell=(1, 0)"
    at.session_state["fake_event"] = {"selection": {"points": [{"customdata": [1, 1]}]}}  # a diagonal cell
    at.run()
    assert at.markdown[1].value == "cell=(1, 1)"
    at.session_state["fake_event"] = {"selection": {"points": [{"customdata": [7, 7]}]}}  # not a cell
    at.run()
    assert at.markdown[1].value == "cell=None" and not at.exception


def test_live_source_and_another_test_image():
    at = run_page("cnn", {"source": "live", "img": "5"})
    assert problems(at) == []
    text = text_of(at)
    assert "test image #5" in text and "the live run at epoch 0" in text


def test_an_architecture_without_a_cached_reference_offers_to_train_it():
    at = run_page("cnn", {"arch": "densenet"})
    assert problems(at) == [] and not at.warning
    assert any("no pre-trained DenseNet" in i.value for i in at.info)
    assert at.button(key="train_reference")
    assert "the live run at epoch 0" in text_of(at)
    assert titled(at, "First-layer filters at epoch 0: 16 filters, 3×3")


def test_zoo_comparison_runs_behind_its_button():
    at = run_page("cnn", {"zoo_n": "1000", "zoo_epochs": "1"})
    assert "test accuracy" not in at.dataframe[0].value.columns
    at.button(key="zoo_run").click().run()
    assert problems(at) == []
    table = at.dataframe[0].value
    assert len(table) == len(zoo.ARCHS) and {"test accuracy", "seconds per epoch"} <= set(table.columns)
    acc = [float(v.rstrip(" %")) for v in table["test accuracy"]]
    assert all(0 <= a <= 100 for a in acc) and max(acc) > 50
    fig = titled(at, "The zoo compared")
    assert len(fig["data"][0]["x"]) == len(zoo.ARCHS) and all(s > 0 for s in fig["data"][1]["x"])


def test_gradient_flow_after_training_steps():
    at = run_page("cnn", {"depth": "2", "gsteps": "25"})
    assert problems(at) == []
    flow = titled(at, "Gradient norm per conv layer, 13 conv layers deep")
    assert len(flow["data"]) == 4 and flow["data"][1]["name"].endswith("after 25 steps")
    loss = titled(at, "Training loss while measuring")
    assert len(loss["data"][0]["y"]) == 25
    assert "after 25 steps" in text_of(at)


def test_bad_link_values_are_explained():
    at = run_page("cnn", {"img": "-5", "arch": "googlenet", "lr": "7"})
    assert problems(at) == []
    notice = " ".join(w.value for w in at.warning)
    assert "`img`" in notice and "`arch`" in notice and "`lr`" in notice


def test_presets_are_valid_links():
    at = run_page("cnn")
    links = re.findall(r"\]\((/cnn\?[^)]+)\)", " ".join(m.value for m in at.markdown))
    assert len(links) >= 5
    for link in links:
        page = run_page("cnn", dict(parse_qsl(urlparse(link).query)))
        assert problems(page) == [] and not page.warning, link


# -- the upload glue (explorer/ui/uploads.py) -------------------------------------------------------------
class FakeUpload:
    """What st.file_uploader returns: a name, a size and the bytes."""

    def __init__(self, data: bytes, name: str = "digit.png", size: int | None = None):
        self.name, self._data = name, data
        self.size = len(data) if size is None else size

    def getvalue(self) -> bytes:
        return self._data


class FakeWhere:
    """A stand-in for ``st`` that returns a chosen upload and records errors."""

    def __init__(self, upload):
        self.upload, self.errors, self.kwargs = upload, [], {}

    def file_uploader(self, label, **kw):
        self.kwargs = kw
        return self.upload

    def error(self, text, icon=None):
        self.errors.append(text)


def _png(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="PNG")
    return buf.getvalue()


def test_uploader_returns_the_model_input_of_a_good_file():
    a = np.full((40, 30), 255, np.uint8)
    a[10:30, 12:16] = 0  # a dark "1" on white
    where = FakeWhere(FakeUpload(_png(a)))
    got = uploads.image_uploader("Upload", key="k", spec=image_io.SPECS["mnist"], where=where)
    assert where.errors == [] and got.x.shape == (1, 28, 28) and got.inverted
    assert where.kwargs["type"] == ["png", "jpg", "jpeg"] and where.kwargs["key"] == "k"
    assert uploads.image_uploader("Upload", key="k", spec=image_io.SPECS["mnist"], where=FakeWhere(None)) is None


@pytest.mark.parametrize("data,words", [
    (b"just some text", "not a PNG or JPEG"),
    (image_io.MAGIC["PNG"] + b"\x00" * 40, "damaged"),
    (b"", "empty"),
])
def test_uploader_explains_a_refused_file(data, words):
    where = FakeWhere(FakeUpload(data, name="evil<b>name</b>](x).png"))
    assert uploads.image_uploader("Upload", key="k", spec=image_io.SPECS["mnist"], where=where) is None
    (msg,) = where.errors
    assert words in msg and "<" not in msg and "]" not in msg  # user text is reduced to safe characters


def test_declared_size_is_refused_before_reading():
    class Huge(FakeUpload):
        def getvalue(self):
            raise AssertionError("read although too large")

    with pytest.raises(ValueError, match="limited to 5.0 MB"):
        uploads.read_upload(Huge(b"", size=50 * 1024 * 1024), image_io.SPECS["mnist"])


def test_a_file_like_object_with_read_only():
    class Stream:
        def __init__(self, data):
            self.buf = io.BytesIO(data)

        def read(self, n=-1):
            return self.buf.read(n)

    out = uploads.read_upload(Stream(_png(np.zeros((10, 10), np.uint8))), image_io.SPECS["shapes"])
    assert out.x.shape == (3, 28, 28)
    assert uploads.safe_name("a" * 100).endswith("…") and uploads.safe_name("") == "the file"
