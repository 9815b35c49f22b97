"""The loss-landscape page: every view draws its figure from the trained model."""

import pytest

from tests.pages.test_pages import problems, run_page
from tests.pages.plotly_read import charts


@pytest.mark.parametrize("view,trace", [("surface", "surface"), ("trajectory", "contour"),
                                        ("interpolation", "scatter"), ("compare", "contour")])
def test_views_draw_their_figures(view, trace):
    at = run_page("loss_landscape", {"view": view, "resolution": "11", "train_to": "5"})
    assert problems(at) == []
    types = {t.get("type", "scatter") for c in charts(at) for t in c["data"]}
    assert trace in types


def test_sharpness_reports_the_top_eigenvalue():
    at = run_page("loss_landscape", {"view": "sharpness", "train_to": "5"})
    assert problems(at) == []
    assert at.metric[0].label.startswith("Top Hessian eigenvalue") and float(at.metric[0].value) > 0


def test_compare_reads_the_difference_and_explains_a_substituted_variant():
    at = run_page("loss_landscape", {"view": "compare", "variant": "skip", "resolution": "11", "train_to": "3"})
    assert problems(at) == []
    assert any("Only the residual network" in c.value for c in at.caption)
    assert any(m.value.startswith("**Reading:**") for m in at.markdown)


def test_batch_larger_than_the_data_is_explained():
    at = run_page("loss_landscape", {"n_train": "50", "batch_size": "100", "train_to": "2"})
    assert problems(at) == [] and any("larger than" in c.value for c in at.caption)


def test_a_setup_that_does_not_learn_says_so():
    at = run_page("loss_landscape", {"model": "resnet", "learning_rate": "1", "train_to": "6", "resolution": "11"})
    assert problems(at) == []
    assert any("hardly learned" in i.value for i in at.info)
