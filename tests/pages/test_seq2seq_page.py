"""The seq2seq page's own behaviour: training, typed input, beams, the alignment, presets."""
import re
from urllib.parse import parse_qsl, urlparse

from tests.pages.test_pages import problems, run_page
from tests.pages.plotly_read import charts, titled


def epoch_shown(at) -> int:
    text = " ".join(m.value for m in at.markdown)
    return int(re.search(r"Epoch ([\d,]+)", text).group(1).replace(",", ""))


def test_defaults_show_training_beams_and_alignment():
    at = run_page("seq2seq")
    assert problems(at) == [] and not at.warning
    training = titled(at, "Trained with teacher forcing")
    assert [t["name"] for t in training["data"] if t.get("showlegend", True)][:2] == ["with Bahdanau attention",
                                                                                    "without attention"]
    beams = titled(at, "greedy against beam search (width 3)")
    labels = beams["layout"]["yaxis"]["ticktext"]
    assert len(labels) == 2 * (1 + 3) and labels[0].startswith("attention, greedy")
    align = titled(at, "Where the attention looks: “314159”")
    assert align["layout"]["xaxis"]["ticktext"] == list("314159")
    assert epoch_shown(at) == 0
    assert any("the right answer is “951413”" in c.value for c in at.caption)


def test_step_trains_one_epoch():
    at = run_page("seq2seq", {"models": "attention", "hidden": "16"})
    at.button(key="step:seq2seq").click().run()
    assert problems(at) == [] and epoch_shown(at) == 1
    run = at.session_state["_run:seq2seq"]
    assert run.snapshot.step == run.trainer.cfg.steps_per_epoch
    h = titled(at, "Trained with teacher forcing")["data"][0]
    assert h["x"] == [0, 1]


def test_a_date_link_decodes_the_typed_date():
    at = run_page("seq2seq", {"task": "date", "src": "4 july 2023", "beam": "2"})
    assert problems(at) == [] and not at.warning
    align = titled(at, "Where the attention looks: “4 july 2023”")
    assert align["layout"]["xaxis"]["ticktext"] == list("4␣july␣2023")
    assert any("the right answer is “2023-07-04”" in c.value for c in at.caption)
    assert len(titled(at, "width 2")["layout"]["yaxis"]["ticktext"]) == 2 * 3
    assert at.session_state["_run:seq2seq"].trainer.cfg.task == "date"


def test_switching_task_swaps_the_example():
    at = run_page("seq2seq")
    at.selectbox(key="task").set_value("date").run()
    assert problems(at) == [] and at.text_input(key="src").value == "july 4, 2023"


def test_bad_input_says_what_is_wrong():
    at = run_page("seq2seq", {"src": "12a4"})
    assert problems(at) == []
    assert any("'a' is not allowed: type digits 0–9" in w.value for w in at.warning)
    assert titled(at, "“314159”")
    at = run_page("seq2seq", {"task": "date", "src": "sometime soon"})
    assert problems(at) == [] and not at.warning
    assert any("not a date in one of the five trained formats" in c.value for c in at.caption)
    at = run_page("seq2seq", {"src": "3141"})
    assert any("generalize to another length" in c.value for c in at.caption)


def test_without_attention_there_is_no_alignment():
    at = run_page("seq2seq", {"models": "plain"})
    assert problems(at) == []
    assert not [c for c in charts(at) if "attention looks" in c["layout"]["title"]["text"]]
    assert any("alignment matrix" in i.value for i in at.info)


def test_teacher_forcing_ratio_reaches_the_run():
    at = run_page("seq2seq", {"tf": "0.3"})
    assert problems(at) == []
    assert at.session_state["_run:seq2seq"].trainer.cfg.teacher_forcing == 0.3
    assert "teacher forcing 30%" in titled(at, "Trained with teacher forcing")["data"][0]["hovertemplate"]


def test_presets_are_valid_links():
    at = run_page("seq2seq")
    links = re.findall(r"\]\((/seq2seq\?[^)]+)\)", " ".join(m.value for m in at.markdown))
    assert len(links) >= 5
    for link in links:
        page = run_page("seq2seq", dict(parse_qsl(urlparse(link).query)))
        assert problems(page) == [] and not page.warning, link
