"""The normalization page's own behaviour: the live comparison, the batch-size study, presets."""
import json
import re
from urllib.parse import parse_qsl, urlparse

from tests.pages.test_pages import problems, run_page


def epoch_shown(at) -> int:
    text = " ".join(m.value for m in at.markdown)
    return int(re.search(r"Epoch ([\d,]+)", text).group(1).replace(",", ""))


def titled(at, words: str) -> dict:
    return next(c for c in (json.loads(el.proto.spec) for el in at.get("plotly_chart"))
                if words in c["layout"]["title"]["text"])


def test_defaults_show_four_normalizations_and_the_study_switch():
    at = run_page("normalization")
    assert problems(at) == []
    fig = titled(at, "Speed of training")
    assert [t["name"] for t in fig["data"] if t.get("showlegend", True)] == [
        "no normalization", "BatchNorm", "LayerNorm", "GroupNorm"]
    assert titled(at, "Each hidden layer's output")
    assert any("batch-size study" in i.value for i in at.info)
    assert epoch_shown(at) == 0
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == 4


def test_step_trains_one_epoch_and_reset_goes_back():
    at = run_page("normalization", {"depth": "2", "width": "16", "batch_size": "128"})
    at.button(key="step:normalization").click().run()
    assert epoch_shown(at) == 1 and problems(at) == []
    snap = at.session_state["_run:normalization"].snapshot
    assert snap.step == 384 // 128
    at.button(key="reset:normalization").click().run()
    assert epoch_shown(at) == 0


def test_study_runs_when_switched_on():
    at = run_page("normalization", {"study": "1", "study_batches": "8,64", "study_epochs": "1", "depth": "2",
                                    "width": "16", "groups": "4", "study_norms": "batch,layer"})
    assert problems(at) == []
    fig = titled(at, "BatchNorm and the batch size")
    mid = [t for t in fig["data"] if t["xaxis"] == "x2" and t.get("x") != [None]]
    assert mid[0]["x"] == ["8", "64"]
    assert any("Train/eval gap" in c.value for c in at.caption)


def test_a_single_normalization():
    at = run_page("normalization", {"norms": "batch"})
    assert problems(at) == []
    fig = titled(at, "Speed of training")
    assert [t["name"] for t in fig["data"] if t.get("showlegend", True)] == ["BatchNorm"]


def test_presets_are_valid_links():
    at = run_page("normalization")
    links = re.findall(r"\]\((/normalization\?[^)]+)\)", " ".join(m.value for m in at.markdown))
    assert len(links) >= 3
    for link in links:
        query = dict(parse_qsl(urlparse(link).query))
        page = run_page("normalization", query)
        assert problems(page) == [] and not page.warning, link
