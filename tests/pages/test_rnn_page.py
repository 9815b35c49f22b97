"""The RNN page's own behaviour: the race, the look inside, gradient through time, typed input, presets."""
import re
from urllib.parse import parse_qsl, urlparse

from tests.pages.test_pages import problems, run_page
from tests.pages.plotly_read import titled


def epoch_shown(at) -> int:
    text = " ".join(m.value for m in at.markdown)
    return int(re.search(r"Epoch ([\d,]+)", text).group(1).replace(",", ""))


def test_defaults_show_the_race_the_gates_the_trajectory_and_the_gradients():
    at = run_page("rnn")
    assert problems(at) == [] and not at.warning
    race = titled(at, "The race")
    assert [t["name"] for t in race["data"] if t.get("showlegend", True)] == ["Vanilla RNN", "LSTM", "GRU"]
    gates = titled(at, "Inside the LSTM")
    assert {a["text"] for a in gates["layout"]["annotations"]} == {"input gate i", "forget gate f", "output gate o",
                                                                  "cell state c"}
    assert gates["layout"]["xaxis4"]["ticktext"] == list("(()(()))()")
    assert titled(at, "hidden state h_t")["data"][1]["text"] == [str(i) for i in range(1, 11)]
    grad = titled(at, "How much gradient reaches step t")
    assert [t["name"] for t in grad["data"] if t["showlegend"]] == ["T = 8", "T = 16", "T = 32", "T = 64"]
    assert len(grad["data"]) == 3 * 4  # untrained only, until the race has trained
    assert epoch_shown(at) == 0
    assert any("torch.nn.LSTM" in c.value and re.search(r"difference in any h_t is \d\.\de-0[5-9]", c.value)
               for c in at.caption)
    assert any(re.search(r"at T = 64 — untrained: Vanilla RNN \de-\d\d", c.value) for c in at.caption)


def test_step_trains_and_the_gradient_figure_gains_a_trained_row():
    at = run_page("rnn", {"task": "parity", "length": "8", "lens": "8,16"})
    for _ in range(2):
        at.button(key="step:rnn").click().run()
    assert problems(at) == [] and epoch_shown(at) == 2
    run = at.session_state["_run:rnn"]
    assert run.snapshot.step == 2 * run.trainer.cfg.steps_per_epoch
    grad = titled(at, "How much gradient reaches step t")
    assert "Vanilla RNN · epoch 2" in {a["text"] for a in grad["layout"]["annotations"]}
    assert len(grad["data"]) == 2 * 3 * 2
    at.button(key="reset:rnn").click().run()
    assert epoch_shown(at) == 0


def test_a_link_picks_task_cell_and_sequence():
    at = run_page("rnn", {"task": "parity", "cell": "gru", "seq": "0110", "cells": "rnn,gru", "hidden": "8"})
    assert problems(at) == [] and not at.warning
    gates = titled(at, "Inside the GRU on “0110”")
    assert {a["text"] for a in gates["layout"]["annotations"]} == {"update gate z", "reset gate r", "hidden state h"}
    assert gates["layout"]["xaxis3"]["ticktext"] == list("0110")
    assert len(gates["data"][0]["y"]) == 8  # 8 hidden units
    cfg = at.session_state["_run:rnn"].trainer.cfg
    assert cfg.task == "parity" and cfg.cells == ("rnn", "gru") and cfg.hidden == 8
    assert any("right: `0100`" in c.value for c in at.caption)  # parity so far of 0110


def test_switching_task_swaps_the_example_but_keeps_typed_text():
    at = run_page("rnn")
    at.selectbox(key="task").set_value("adding").run()
    assert problems(at) == [] and at.text_input(key="seq").value == "3 7+ 1 4 1 5 9+ 2 6 5"
    assert titled(at, "Inside the LSTM on “0.3 0.7+")
    at.text_input(key="seq").set_value("5 5+ 5+").run()
    assert at.text_input(key="seq").value == "5 5+ 5+" and problems(at) == []
    assert any("It predicts a sum" in c.value and "1.000" in c.value for c in at.caption)


def test_bad_typed_sequences_say_what_is_wrong():
    at = run_page("rnn", {"seq": "(()x)"})
    assert problems(at) == []
    (w,) = at.warning
    assert "'x' is not allowed here: use brackets ( and )" in w.value and "Showing the example" in w.value
    assert titled(at, "Inside the LSTM on “(()(()))()”")
    at = run_page("rnn", {"task": "adding", "seq": "3 7 1"})
    assert any("mark exactly two values with +" in w.value for w in at.warning)
    at = run_page("rnn")
    at.text_input(key="seq").set_value("(#)").run()
    assert problems(at) == [] and any("may only hold" in w.value for w in at.warning)


def test_a_cell_left_out_of_the_race_is_replaced_with_a_note():
    at = run_page("rnn", {"cells": "rnn,gru", "cell": "lstm"})
    assert problems(at) == []
    assert any("not in the race" in c.value for c in at.caption)
    assert titled(at, "Inside the Vanilla RNN")


def test_echo_delay_is_kept_shorter_than_the_sequence():
    at = run_page("rnn", {"task": "echo", "length": "6", "delay": "9"})
    assert problems(at) == []
    assert at.session_state["_run:rnn"].trainer.cfg.delay == 5
    assert any("delay must be shorter" in c.value for c in at.caption)


def test_presets_are_valid_links():
    at = run_page("rnn")
    links = re.findall(r"\]\((/rnn\?[^)]+)\)", " ".join(m.value for m in at.markdown))
    assert len(links) >= 5
    for link in links:
        page = run_page("rnn", dict(parse_qsl(urlparse(link).query)))
        assert problems(page) == [] and not page.warning, link
