"""The concepts page's own behaviour: the default views and their numbers, a link's choices in the
charts, clamped classes/layers/channels with a note, stepping the ascent, presets."""
import numpy as np

from tests.pages.plotly_read import array as values
from tests.pages.plotly_read import by_key as chart
from tests.pages.plotly_read import charts_by_key as charts
from tests.pages.test_pages import notice_text, problems, run_page

PAGE = "concepts"


def test_defaults_show_the_ascent_tcav_and_probes():
    at = run_page(PAGE)
    assert problems(at) == [] and not at.warning
    am = chart(at, "chart_actmax")
    assert "logit of “stripes”" in am["layout"]["annotations"][1]["text"]
    assert "Step 0 of 256" in " ".join(m.value for m in at.markdown)
    tc = chart(at, "chart_tcav")
    assert [t["name"] for t in tc["data"]] == ["striped", "dotted", "round (discs)", "random concepts"]
    assert "stripes" in tc["layout"]["title"]["text"]
    striped = values(tc["data"][0]["y"])
    assert len(striped) == 6 and striped.max() > 0.9
    # the planted concept: LeNet learned "stripes" from striped objects, TCAV finds it significant somewhere
    assert "★" in tc["data"][0]["text"]
    pr = chart(at, "chart_probes")
    label = next(t for t in pr["data"] if t["name"] == "class label")
    acc = values(label["y"])
    assert acc[-1] > 0.8 and acc[-1] > acc[0] + 0.3      # the last hidden layer reads the class, pixels barely
    assert "Strongest significant concept: **striped**" in " ".join(c.value for c in at.caption) or \
           "Strongest significant concept: **dotted**" in " ".join(c.value for c in at.caption)


def test_a_link_chooses_target_class_and_concepts():
    at = run_page(PAGE, {"cls": "0", "target": "logprob", "concepts": "round,solid", "attrs": "size", "runs": "5"})
    assert problems(at) == []
    assert "log P(“circle”)" in chart(at, "chart_actmax")["layout"]["annotations"][1]["text"]
    tc = chart(at, "chart_tcav")
    assert [t["name"] for t in tc["data"]] == ["round (discs)", "solid colour", "random concepts"]
    assert "circle" in tc["layout"]["title"]["text"]
    assert len(values(tc["data"][0]["error_y"]["array"])) == 6
    names = [t["name"] for t in chart(at, "chart_probes")["data"]]
    assert names == ["size (large or small)", "chance: size (large or small)"]


def test_out_of_range_class_layer_and_channel_are_clamped_with_a_note():
    at = run_page(PAGE, {"cls": "9", "target": "unit", "layer": "15", "unit": "127"})
    assert problems(at) == []
    text = " ".join(c.value for c in at.caption)
    assert "has 5 classes" in text and "using the last one" in text and "using channel 83" in text
    assert "channel 83 of fc2 (linear)" in chart(at, "chart_actmax")["layout"]["annotations"][1]["text"]


def test_step_runs_the_ascent_and_the_value_climbs():
    at = run_page(PAGE, {"jitter": "0"})
    for _ in range(3):
        at.button(key="step:concepts").click().run()
    assert problems(at) == []
    assert "Step 12 of 256" in " ".join(m.value for m in at.markdown)
    y = values(chart(at, "chart_actmax")["data"][1]["y"])
    assert len(y) == 4 and y[-1] > y[0]


def test_mnist_has_no_colour_attribute_and_control_adds_lines():
    at = run_page(PAGE, {"data": "mnist", "cls": "3", "control": "1", "concepts": "striped"})
    assert problems(at) == []
    assert "no object colour" in " ".join(c.value for c in at.caption)
    names = [t["name"] for t in chart(at, "chart_probes")["data"]]
    assert "class label, untrained net" in names and not any("colour" in n for n in names)
    assert "“3”" in chart(at, "chart_actmax")["layout"]["annotations"][1]["text"]


def test_presets_render_without_problems():
    for query in ({"jitter": "0", "blur": "0", "l2": "0"}, {"target": "unit", "layer": "2", "unit": "7"}):
        at = run_page(PAGE, query)
        assert problems(at) == [] and not notice_text(at)


def test_untrained_reference_shows_a_button_not_an_error():
    at = run_page(PAGE, {"model": "densenet"})
    assert problems(at) == []
    from explorer.engines import zoo
    if not zoo.is_cached("densenet", "shapes"):
        assert any(b.key == "concepts_train_reference" for b in at.button)


def test_the_vit_trains_on_the_button_and_shows_attention(monkeypatch):
    from explorer.engines import vit
    from explorer.ui import concepts_view as view

    monkeypatch.setattr(view, "VIT", vit.Config(epochs=1))   # one epoch is plenty for a test
    at = run_page(PAGE, {"cls": "3", "concepts": "striped", "runs": "5"})
    assert not [k for k in charts(at) if k.endswith("chart_attention")], "the ViT waits for a button"
    at.button(key="concepts_vit").click().run()
    assert problems(at) == []
    spec = chart(at, "chart_attention")
    assert "(a 3)" in spec["layout"]["title"]["text"]
    heat = [t for t in spec["data"] if t["type"] == "heatmap"]
    assert len(heat) == 1 + vit.Config().layers + 1
    roll = values(heat[-1]["z"]) if not isinstance(heat[-1]["z"], list) else np.asarray(heat[-1]["z"], dtype=float)
    assert roll.size == (28 // vit.Config().patch) ** 2 and roll.min() >= 0
