"""The monophonic keyboard: priority, single trigger, sustain, malformed sequences."""

from __future__ import annotations

import pytest

from ms20.midi.note_priority import KeyChange, MonoKeyboard


def test_low_note_priority_and_legato_does_not_retrigger() -> None:
    kb = MonoKeyboard()
    assert kb.press(60) == KeyChange(60, True, False)
    assert kb.press(64) is None                       # higher key while C is held: C keeps sounding
    assert kb.press(55) == KeyChange(55, True, False)  # lower key takes over, no retrigger
    assert kb.release(55) == KeyChange(60, True, False)
    assert kb.release(60) == KeyChange(64, True, False)
    assert kb.release(64) == KeyChange(64, False, False)


@pytest.mark.parametrize(("priority", "expected"), [("high", 67), ("last", 62), ("low", 60)])
def test_priority_is_a_setting(priority: str, expected: int) -> None:
    kb = MonoKeyboard(priority)
    for n in (60, 67, 62):
        kb.press(n)
    assert kb.note == expected


def test_multi_trigger_refires_on_every_new_key() -> None:
    kb = MonoKeyboard("last", multi_trigger=True)
    kb.press(60)
    assert kb.press(62) == KeyChange(62, True, True)


def test_sustain_pedal_holds_released_keys() -> None:
    kb = MonoKeyboard()
    kb.press(60)
    kb.set_sustain(True)
    assert kb.release(60) is None
    assert kb.gate
    assert kb.set_sustain(False) == KeyChange(60, False, False)


def test_note_off_without_note_on_changes_nothing_and_all_off_never_leaves_a_note() -> None:
    kb = MonoKeyboard()
    assert kb.release(61) is None
    kb.press(60)
    kb.press(60)  # a duplicate note-on
    assert kb.release(60) == KeyChange(60, False, False)
    kb.press(50)
    kb.press(52)
    assert kb.all_off() == KeyChange(50, False, False)
    assert not kb.gate


def test_an_unknown_priority_is_refused() -> None:
    with pytest.raises(ValueError, match="low, high, last"):
        MonoKeyboard("random")
