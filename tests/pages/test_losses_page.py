"""The losses page's own behaviour: parts, the fit table, charts, the custom loss."""

from tests.pages.test_pages import problems, run_page
from tests.pages.plotly_read import charts_by_key as charts


def chart_titles(at) -> list[str]:
    out = []
    for spec in charts(at).values():
        layout = spec.get("layout", {})
        out.append(layout.get("title", {}).get("text", ""))
        out += [a.get("text", "") for a in layout.get("annotations", [])]
    return out


def test_regression_part_shows_fits_table_and_curves():
    at = run_page("losses")
    assert problems(at) == []
    titles = " ".join(chart_titles(at))
    assert "fitted under each loss" in titles and "Pull on the fit" in titles
    df = at.dataframe[0].value
    assert list(df.index)[:3] == ["MSE", "MAE", "Huber (δ = 1)"] and "Custom" in df.index[3]
    # the outlier drags MSE: its slope is far from the true 1.2, MAE's is close
    assert abs(df.loc["MSE", "slope"] - 1.2) > 3 * abs(df.loc["MAE", "slope"] - 1.2)


def test_moving_the_outlier_changes_the_mse_fit():
    a = run_page("losses", {"outlier_y": "-12"}).dataframe[0].value
    b = run_page("losses", {"outlier_y": "4"}).dataframe[0].value
    assert a.loc["MSE", "slope"] < b.loc["MSE", "slope"]


def test_classification_part_trains_and_reports_recall():
    at = run_page("losses", {"part": "classification", "steps": "100", "cls_points": "150"})
    assert problems(at) == []
    titles = " ".join(chart_titles(at))
    for t in ("Push on the example", "Cross-entropy", "Focal (γ = 2", "Test-set metrics", "across γ"):
        assert t in titles
    text = " ".join(m.value for m in at.markdown)
    assert "Minority recall" in text


def test_custom_loss_with_all_weights_zero_is_explained_not_an_error():
    at = run_page("losses", {"w_mae": "0", "w_huber": "0"})
    assert problems(at) == []
    assert any("no custom fit" in c.value for c in at.caption)
    assert len(at.dataframe[0].value) == 3
    at = run_page("losses", {"part": "classification", "w_ce": "0", "w_hinge": "0", "steps": "50"})
    assert problems(at) == [] and any("no custom model" in c.value for c in at.caption)


def test_switching_parts_keeps_the_other_parts_values():
    at = run_page("losses", {"outlier_y": "-10"})
    at.session_state["part"] = "classification"
    at.session_state["steps"] = 50
    at.run()
    assert problems(at) == []
    at.session_state["part"] = "regression"
    at.run()
    assert problems(at) == [] and at.session_state["outlier_y"] == -10.0 and at.session_state["steps"] == 50
