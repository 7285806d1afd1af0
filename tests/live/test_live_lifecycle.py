"""Ticket lifecycle: validated transitions, the event log, observers, follow-ups."""

from __future__ import annotations

import logging

import pytest

import fsdispatch as fd
from conftest import at
from fsdispatch.live import TRANSITIONS, EventLog, Lifecycle, TicketState

S = TicketState


def test_happy_path_is_logged_with_time_and_actor():
    """created → scheduled → accepted → en route → on site → completed → closed, all logged."""
    lc = Lifecycle()
    lc.add("T1", at(7))
    path = [S.SCHEDULED, S.ACCEPTED, S.EN_ROUTE, S.ON_SITE, S.COMPLETED, S.CLOSED]
    for k, state in enumerate(path):
        lc.transition("T1", state, at(8 + k), actor="tech-1")
    events = lc.log.events("T1")
    assert [e.to_state for e in events] == [S.CREATED, *path]
    assert [e.from_state for e in events[1:]] == [S.CREATED, *path[:-1]]
    assert events[3].at == at(10) and events[3].actor == "tech-1"
    assert [e.seq for e in events] == list(range(7))
    assert lc.state("T1") is S.CLOSED and S.CLOSED.is_terminal


@pytest.mark.parametrize(("path", "bad"), [
    ([], S.COMPLETED),
    ([S.SCHEDULED], S.ON_SITE),
    ([S.SCHEDULED, S.CANCELLED], S.SCHEDULED),
    ([S.SCHEDULED, S.EN_ROUTE, S.ON_SITE], S.CANCELLED),
])
def test_invalid_transition_raises_a_clear_error(path, bad):
    """A transition outside the table raises TransitionError naming ticket, states and options."""
    lc = Lifecycle()
    lc.add("T9", at(7))
    for state in path:
        lc.transition("T9", state, at(8))
    current = lc.state("T9")
    with pytest.raises(fd.TransitionError) as err:
        lc.transition("T9", bad, at(9))
    msg = str(err.value)
    assert "'T9'" in msg and current.value in msg and bad.value in msg and "allowed" in msg
    assert lc.state("T9") is current  # nothing changed


def test_every_state_has_a_row_and_terminal_states_are_final():
    """The table covers every state; only closed and cancelled are final."""
    assert set(TRANSITIONS) == set(TicketState)
    assert {s for s in TicketState if s.is_terminal} == {S.CLOSED, S.CANCELLED}
    for targets in TRANSITIONS.values():
        assert targets <= set(TicketState)


def test_observers_filter_unsubscribe_and_survive_failures(caplog):
    """Observers get events (by kind), can unsubscribe, and a failing one does not stop others."""
    log = EventLog()
    seen, etas = [], []
    log.subscribe(lambda e: (_ for _ in ()).throw(RuntimeError("smtp down")))
    stop = log.subscribe(seen.append)
    log.subscribe(etas.append, kinds={"eta"})
    lc = Lifecycle(log)
    with caplog.at_level(logging.WARNING):
        lc.add("T1", at(7))
    log.emit(at(8), "T1", "eta", "dispatcher", eta=at(10))
    stop()
    lc.transition("T1", S.SCHEDULED, at(9))
    assert [e.kind for e in seen] == ["transition", "eta"]
    assert [e.data["eta"] for e in etas] == [at(10)]
    assert "observer" in caplog.text
    assert len(log) == 3


def test_follow_up_is_linked_and_unknown_references_are_refused():
    """A follow-up names its original; unknown tickets and duplicates raise library errors."""
    lc = Lifecycle()
    lc.add("T1", at(7))
    lc.add("T1-F", at(12), follow_up_of="T1")
    assert lc.follow_ups("T1") == ["T1-F"] and lc.parent("T1-F") == "T1"
    assert lc.log.events("T1-F")[0].data["follow_up_of"] == "T1"
    with pytest.raises(fd.UnknownReferenceError):
        lc.add("T2", at(7), follow_up_of="nope")
    with pytest.raises(fd.ValidationError, match="unique"):
        lc.add("T1", at(7))
    with pytest.raises(fd.ValidationError, match="state"):
        lc.transition("T1", "flying", at(8))
    with pytest.raises(fd.ValidationError, match="timezone-aware"):
        lc.log.emit(at(8).replace(tzinfo=None), "T1", "eta", "x")
