"""Job state machines of the emulated vendors: a list of states walked per poll or per time."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Advance:
    """How emulated jobs move on: one state per status read (``per="poll"``, deterministic),
    one state every ``step`` seconds after the job starts (``per="time"``; the emulator's
    clock thread moves them and sends the vendor's webhooks), or only when the test says so
    (``per="hand"``: :meth:`Progress.step`, e.g. through :meth:`Symbl.move_on
    <tests.emulator.symbl.Symbl.move_on>`)."""

    per: str = "poll"
    step: float = 0.2

    @classmethod
    def per_poll(cls) -> Advance:
        """One state per status read: the read sees the current state, then the job moves."""
        return cls("poll")

    @classmethod
    def every(cls, seconds: float) -> Advance:
        """One state every ``seconds`` (wall clock, monotonic) once the job has started."""
        if seconds <= 0:
            raise ValueError("seconds must be positive")
        return cls("time", seconds)

    @classmethod
    def by_hand(cls) -> Advance:
        """One state per :meth:`Progress.step` call: status reads and time change nothing, so
        a test can hold a job in a state as long as it needs to look at what the portal
        shows meanwhile."""
        return cls("hand")


class Progress:
    """Walks a job through ``states`` (first = initial, last = final).

    ``on_enter(state)`` is called for every state entered after the first (the vendor
    materialises results and sends webhooks there), under the vendor's lock. A job moves
    only once :meth:`start` was called (Symbl runs the jobs of one conversation in order).
    """

    def __init__(
        self,
        states: Sequence[str],
        advance: Advance,
        on_enter: Callable[[str], None] | None = None,
    ) -> None:
        if len(states) < 1:
            raise ValueError("a job needs at least one state")
        self.states = list(states)
        self.advance = advance
        self.on_enter = on_enter
        self.index = 0
        self.started_at: float | None = None
        self.reads = 0

    @property
    def state(self) -> str:
        """The current state."""
        return self.states[self.index]

    @property
    def finished(self) -> bool:
        """True in the final state."""
        return self.index == len(self.states) - 1

    def start(self, now: float) -> None:
        """Let the job move from now on (idempotent)."""
        if self.started_at is None:
            self.started_at = now

    def read(self) -> str:
        """A status read: return the current state; per poll, then move one state on."""
        self.reads += 1
        current = self.state
        if self.advance.per == "poll" and self.started_at is not None:
            self._move_to(self.index + 1)
        return current

    def tick(self, now: float) -> None:
        """Per time: move to the state the elapsed time calls for (several at once if late)."""
        if self.advance.per != "time" or self.started_at is None:
            return
        self._move_to(int((now - self.started_at) / self.advance.step))

    def step(self) -> str:
        """By hand: move one state on (``on_enter`` runs) and return the new state. Raises
        RuntimeError when the job has not started (an earlier job of its conversation is
        still running) or is already in its final state."""
        if self.started_at is None:
            raise RuntimeError("the job has not started yet")
        if self.finished:
            raise RuntimeError(f"the job is already {self.state}")
        self._move_to(self.index + 1)
        return self.state

    def finish(self, state: str) -> None:
        """Replace the final state by ``state`` (an outcome fault) before the job gets there."""
        self.states[-1] = state

    def _move_to(self, target: int) -> None:
        target = min(target, len(self.states) - 1)
        while self.index < target:
            self.index += 1
            if self.on_enter is not None:
                self.on_enter(self.state)
