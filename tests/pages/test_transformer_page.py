"""The transformer page's own behaviour: every tab at defaults, links that reach the charts,
a training step, typed inputs (good and bad), presets."""
import re
from urllib.parse import parse_qsl, urlparse

import pytest

from tests.pages.test_pages import problems, run_page
from tests.pages.plotly_read import charts, titled


def text(at) -> str:
    return " ".join(m.value for m in at.markdown)


def warnings(at) -> str:
    return " ".join(w.value for w in at.warning)


SECTIONS = {
    "attention": ("X = embedding + position", "Q = X·W_Q", "From scores to attention weights", "Output = softmax",
                  "Attention weights of each of the 2 head"),
    "positions": ("Sinusoidal positions", "Learned positions", "RoPE"),
    "masks": ("Who may attend to whom", "Change only the last word"),
    "train": ("Every layer's and head's attention", "Training"),
    "objectives": ("Probability of the true word", "Training loss of each objective"),
    "vit": ("An image becomes a sequence of tokens", "Where the class token looks", "ViT training loss"),
}


@pytest.mark.parametrize("section", SECTIONS)
def test_every_section_renders_at_its_defaults(section):
    at = run_page("transformer", {"section": section} if section != "attention" else {})
    assert problems(at) == [] and not at.warning
    titles = [c["layout"]["title"]["text"] for c in charts(at)]
    for title in SECTIONS[section]:
        assert any(title in t for t in titles), title
    others = [t for s, ts in SECTIONS.items() if s != section for t in ts if t != "Training"]
    assert not any(o in t for o in others for t in titles)      # one section at a time


def test_default_section_and_the_live_run():
    at = run_page("transformer")
    x = titled(at, "X = embedding + position")
    assert x["layout"]["yaxis"]["ticktext"] == ["the", "cat", "sat", "on", "the", "mat"]
    at = run_page("transformer", {"section": "train"})
    assert "Step 0 · 0 Adam updates" in text(at)
    grid = titled(at, "Every layer's and head's attention")
    assert len(grid["data"]) == 3 * 2 * 2             # (encoder, decoder, cross) × 2 layers × 2 heads
    assert grid["layout"]["yaxis"]["ticktext"] == list("31415926")


def test_choices_survive_a_visit_to_another_section():
    at = run_page("transformer", {"section": "train", "task": "sort"})
    at.segmented_control(key="section").set_value("vit").run()
    assert problems(at) == []
    at.segmented_control(key="section").set_value("train").run()
    assert at.session_state["task"] == "sort" and at.session_state["_run:transformer"].trainer.cfg.task == "sort"


def test_a_link_sets_the_sentence_heads_and_the_causal_mask():
    at = run_page("transformer", {"text": "a dog saw a cat", "heads": "4", "causal": "1"})
    masks = run_page("transformer", {"text": "a dog saw a cat", "section": "masks"})
    assert any("exactly zero" in c.value and "**0**" in c.value for c in masks.caption)
    enc = titled(masks, "Who may attend to whom")["data"][0]
    assert enc["z"][0] == [1, 1, 1, 1, 1, 0, 0]                  # two ⟨pad⟩ keys masked
    assert problems(at) == [] and not at.warning
    assert titled(at, "X = embedding")["layout"]["yaxis"]["ticktext"] == ["a", "dog", "saw", "a", "cat"]
    heads = titled(at, "Attention weights of each of the 4 head")
    assert len(heads["data"]) == 4 and "causal" in heads["layout"]["title"]["text"]
    scores = titled(at, "From scores to attention weights")
    masked = scores["data"][1]["text"]
    assert masked[0][1:] == ["−∞"] * 4 and masked[4][:5] != ["−∞"] * 5
    weights = scores["data"][2]["z"]
    assert all(weights[i][j] == 0 for i in range(5) for j in range(i + 1, 5))


def test_step_trains_and_the_maps_follow_the_typed_input():
    at = run_page("transformer", {"section": "train", "task": "sort", "probe": "3141", "layers": "1", "nheads": "1"})
    assert problems(at) == []
    assert "the answer is `1134`" in text(at) or "`1134` ✅" in text(at)
    at.button(key="step:transformer").click().run()
    assert problems(at) == [] and "Step 1 · 5 Adam updates" in text(at)
    grid = titled(at, "Every layer's and head's attention")
    assert len(grid["data"]) == 3                       # one layer, one head, three kinds
    assert grid["layout"]["yaxis"]["ticktext"] == ["3", "1", "4", "1"]
    assert len(grid["layout"]["yaxis2"]["ticktext"]) == 5            # four digits and </s>
    assert at.session_state["_run:transformer"].snapshot.step == 5


@pytest.mark.parametrize("query,needle", [
    ({"section": "train", "probe": "12a4"}, "digits 0–9"),
    ({"section": "train", "task": "modular_add", "probe": "99+1="}, "numbers 0…22"),
    ({"section": "objectives", "sentence": "the zebra eats the fish ."}, "'zebra'"),
    ({"text": "one two three four five six seven eight nine ten eleven"}, "at most 10 words"),
])
def test_bad_typed_input_gives_a_message_and_a_fallback(query, needle):
    at = run_page("transformer", query)
    assert problems(at) == []
    assert needle in warnings(at), warnings(at)


def test_the_date_task_reads_a_typed_date():
    at = run_page("transformer", {"section": "train", "task": "date", "probe": "march 3, 1999"})
    assert problems(at) == [] and not at.warning
    assert "the answer is `1999-03-03`" in text(at) or "`1999-03-03` ✅" in text(at)


def test_bert_and_gpt_predictions_follow_the_sentence():
    at = run_page("transformer", {"section": "objectives", "sentence": "some old dogs like the bone ."})
    assert problems(at) == []
    fig = titled(at, "Probability of the true word")
    assert list(fig["data"][0]["x"]) == ["some", "old", "dogs", "like", "the", "bone", "."]
    bert, gpt = fig["data"][0]["y"], fig["data"][1]["y"]
    assert bert[2] > gpt[2]           # the animal: BERT sees the bone, GPT does not
    assert "Corrupted input" in text(at)


def test_vit_patch_size_from_the_link():
    at = run_page("transformer", {"section": "vit", "patch": "14", "digit": "5"})
    assert problems(at) == []
    patches = titled(at, "An image becomes a sequence")
    assert {a["text"] for a in patches["layout"]["annotations"]} >= {"2×2 = 4 patches of 14×14 pixels"}
    cls = titled(at, "Where the class token looks")
    assert len([t for t in cls["data"] if t.get("opacity")]) == 2 * 2 + 1
    assert "Test image 5" in text(at)


def test_presets_render_without_problems():
    at = run_page("transformer")
    links = re.findall(r"\]\((/transformer\?[^)]*)\)", text(at))
    assert len(links) >= 8
    for href in links:
        query = dict(parse_qsl(urlparse(href).query))
        got = run_page("transformer", query)
        assert problems(got) == [], href
        assert not got.warning, (href, warnings(got))
