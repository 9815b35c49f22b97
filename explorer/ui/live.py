"""A player for any engine run with ``advance(max_steps, max_seconds) -> Snapshot``.

Play / pause / step / reset and a speed control drive an ``st.fragment(run_every=…)``
that trains for a bounded compute budget per frame and redraws only itself. A run lives
in the session, keyed by page and config: a new config makes a new run. History is kept
bounded (thinned by halves) so the user can scrub back through it. A diverged run stops
and says so; nothing trains while paused or when no browser is watching.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

import streamlit as st

from explorer.engines.device import cap_threads

FRAME_S = 0.15          # one frame every 150 ms: ≈6–7 redraws a second
FRAME_BUDGET = 0.55     # share of a frame's interval spent training; the rest is drawing and transport
SPEEDS = (1, 10, 30, 100, 300, 1000)  # epochs per second; 1000 is "as fast as it goes"
MAX_HISTORY = 240
MAX_REPLAY_EPOCHS = 20_000  # a link may ask to reopen a run this far in
MAX_REPLAY_S = 20.0         # …within this much compute, so no link ties up the server
MAX_CURVE = 4000


@dataclass
class Run:
    """A trainer plus what the views need: a dense loss curve and thinned snapshots."""

    key: Any
    trainer: Any
    playing: bool = False
    history: list = field(default_factory=list)
    curve: dict = field(default_factory=lambda: {"epoch": [], "train": [], "test": []})
    stride: int = 1
    version: int = 0
    last_frame: float = 0.0
    credit: float = 0.0  # fractional steps owed at slow speeds

    def __post_init__(self):
        self._record(self.trainer.snapshot, force=True)

    @property
    def snapshot(self):
        return self.trainer.snapshot

    def _record(self, snap, force: bool = False) -> None:
        c = self.curve
        c["epoch"].append(snap.epoch)
        c["train"].append(snap.train_loss)
        c["test"].append(snap.test_loss)
        if len(c["epoch"]) > MAX_CURVE:
            for k in c:
                c[k] = c[k][::2]
        if force or snap.epoch % self.stride == 0:
            self._keep(snap)
        self.version += 1

    def _keep(self, snap) -> None:
        """Add a snapshot to the history; past MAX_HISTORY keep every other one (first kept)."""
        self.history.append(snap)
        if len(self.history) > MAX_HISTORY:
            self.history = self.history[::2]
            self.stride *= 2

    def advance(self, max_steps: int, max_seconds: float) -> Any:
        """Train up to max_steps steps within max_seconds, recording each step."""
        t0 = time.perf_counter()
        for _ in range(max(1, int(max_steps))):
            if self.snapshot.diverged:
                break
            snap = self.trainer.advance(1)
            self._record(snap)
            if time.perf_counter() - t0 >= max_seconds:
                break
        if self.history[-1] is not self.snapshot:  # the latest is always there to show
            self._keep(self.snapshot)
        return self.snapshot


def session_run(page: str, key: Any, factory: Callable[[], Any]) -> Run:
    """The session's run for this page; a different key (config) starts a new one."""
    slot = f"_run:{page}"
    run = st.session_state.get(slot)
    if run is None or run.key != key:
        run = Run(key=key, trainer=factory())
        st.session_state[slot] = run
    return run


def reset(page: str) -> None:
    st.session_state.pop(f"_run:{page}", None)


def replay_to(run: Run, epoch: int, label: str = "Replaying the run to epoch") -> None:
    """Train (paused, with progress) until the run reaches ``epoch`` — a link's exact view —
    within :data:`MAX_REPLAY_S` of compute; says so if it had to stop short."""
    if run.snapshot.epoch >= epoch or run.snapshot.diverged:
        return
    bar = st.progress(0.0, text=f"{label} {epoch:,}…")
    t0 = time.perf_counter()
    while run.snapshot.epoch < epoch and not run.snapshot.diverged:
        if time.perf_counter() - t0 > MAX_REPLAY_S:
            st.info(f"Replaying stopped at epoch {run.snapshot.epoch:,} of {epoch:,} after {MAX_REPLAY_S:.0f} s of "
                    "compute (this network is large); press ▶ Play to go on.", icon="⏱️")
            break
        run.advance(epoch - run.snapshot.epoch, 0.2)
        bar.progress(min(1.0, run.snapshot.epoch / epoch), text=f"{label} {epoch:,}… ({run.snapshot.epoch:,})")
    bar.empty()


def controls(page: str, run: Run, speed: int, where: Any = st) -> None:
    """Play/Pause, Step, Reset buttons. Call before :func:`player`."""
    cap_threads()
    c1, c2, c3 = where.columns([1.3, 1, 1])
    label = "⏸ Pause" if run.playing else "▶ Play"
    if c1.button(label, key=f"play:{page}", type="primary", width="stretch",
                 disabled=run.snapshot.diverged):
        run.playing = not run.playing
        run.last_frame, run.credit = 0.0, 1.0  # the first frame after Play always moves
        st.rerun()
    if c2.button("⏭ Step", key=f"step:{page}", width="stretch", help="Train one step (epoch).",
                 disabled=run.snapshot.diverged):
        run.playing = False
        run.advance(1, 1.0)
    if c3.button("↺ Reset", key=f"reset:{page}", width="stretch",
                 help="Start again from the same seed: the same data and initial weights."):
        reset(page)
        st.rerun()


def steps_for_frame(run: Run, speed: int, now: float | None = None) -> int:
    """Steps that keep ``speed`` steps per wall-clock second whatever the frame rate (0 in
    a frame when the speed is slower than the frame rate)."""
    now = time.perf_counter() if now is None else now
    elapsed = min(1.0, now - run.last_frame) if run.last_frame else FRAME_S
    run.last_frame = now
    run.credit += speed * elapsed
    steps = int(run.credit + 1e-9)
    run.credit -= steps
    return steps


def player(page: str, run: Run, speed: int, render: Callable[[Any, Run], None],
           frame_s: float = FRAME_S) -> None:
    """Draw the live views: while playing, each frame trains then redraws; while paused,
    a slider scrubs back through the history and ``render`` shows the chosen snapshot.

    ``frame_s``: seconds between frames. Streamlit re-creates a plotly chart on every
    update, and a browser needs ≈0.5 s for that, so a page whose live views are plotly
    charts passes ``frame_s=0.6``; the playground draws PNG frames and uses 0.15 s.
    """

    @st.fragment(run_every=frame_s if run.playing else None)
    def frame():
        if run.playing:
            steps = steps_for_frame(run, speed)
            if steps:
                run.advance(steps, FRAME_BUDGET * frame_s)
            if run.snapshot.diverged:
                run.playing = False
                st.rerun(scope="app")
        snap = run.snapshot
        if not run.playing and len(run.history) > 1:
            key = f"scrub:{page}"
            by_epoch = {s.epoch: s for s in run.history}
            if st.session_state.get(f"{key}:version") != run.version or st.session_state.get(key) not in by_epoch:
                st.session_state[key] = snap.epoch
                st.session_state[f"{key}:version"] = run.version
            chosen = st.select_slider("History: drag back to an earlier epoch", options=list(by_epoch), key=key,
                                      format_func=lambda e: f"epoch {e:,}",
                                      help="Snapshots kept so far, thinned evenly as the run grows.")
            snap = by_epoch[chosen]
        if snap.diverged:
            st.warning("Training diverged: the loss or a weight became infinite or NaN, so the run stopped. "
                       "Lower the learning rate (or the regularization rate) and press Reset.", icon="💥")
        render(snap, run)

    frame()
