"""The flood gate on its own: a sliding minute per user, one kind word, then quiet; other users unaffected."""

from __future__ import annotations

from bot.telegram.flood import Admission, FloodGate


class Tick:
    """A clock for the gate that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_limit_then_one_warning_then_quiet_until_the_oldest_leaves_the_window():
    clock = Tick()
    gate = FloodGate(3, clock=clock)
    assert [gate.admit(1) for _ in range(3)] == [Admission.ADMIT] * 3
    assert gate.admit(1) is Admission.WARN
    assert gate.admit(1) is Admission.DROP
    assert gate.admit(2) is Admission.ADMIT  # someone else is not held up
    clock.now += 59.9
    assert gate.admit(1) is Admission.DROP
    clock.now += 0.2  # the first three are now more than a minute old
    assert gate.admit(1) is Admission.ADMIT


def test_a_steady_writer_under_the_limit_is_never_stopped():
    clock = Tick()
    gate = FloodGate(30, clock=clock)
    for _ in range(500):
        assert gate.admit(7) is Admission.ADMIT
        clock.now += 2.5  # 24 a minute


def test_idle_users_are_forgotten():
    clock = Tick()
    gate = FloodGate(2, clock=clock)
    for uid in range(100):
        gate.admit(uid)
    clock.now += 61
    gate.admit(1000)
    assert set(gate._seen) == {1000}
