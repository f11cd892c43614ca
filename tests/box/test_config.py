"""The config file: documented defaults, and errors that name the key a user got wrong."""

from __future__ import annotations

import pytest

from ms20.box.config import (
    PINS_ENV,
    ConfigError,
    board_backend,
    default_config,
    default_toml,
    load_config,
    parse_config,
)


def test_the_printed_defaults_are_the_defaults():
    assert parse_config(default_toml(), "<defaults>") == default_config()
    text = default_toml()
    assert "[audio]" in text and "period = 64" in text and 'priority = "low"' in text
    # every setting carries a line of documentation above it
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if "=" in line and not line.startswith("#"):
            assert lines[i - 1].startswith("# "), line


def test_defaults_suit_an_i2s_codec():
    a = default_config().audio
    assert (a.rate, a.period, a.periods) == (48000, 64, 3)
    assert default_config().midi.priority == "low"


def test_a_bad_value_names_the_key_and_line():
    with pytest.raises(ConfigError) as err:
        parse_config('[audio]\nrate = 48000\nperiod = "sixty-four"\n', "box.toml")
    assert "box.toml:3" in str(err.value) and "audio.period" in str(err.value)


def test_a_misspelt_key_gets_a_suggestion():
    with pytest.raises(ConfigError, match=r"audio\.periodz.*did you mean audio\.period"):
        parse_config("[audio]\nperiodz = 64\n")
    with pytest.raises(ConfigError, match=r"\[midl\].*did you mean \[midi\]"):
        parse_config("[midl]\npriority = 'low'\n")


def test_midi_settings_are_checked_against_the_panel():
    with pytest.raises(ConfigError, match=r"midi\.cc.*unknown knob"):
        parse_config('[midi]\ncc = { 74 = "WAH" }\n')
    with pytest.raises(ConfigError, match=r"midi\.priority"):
        parse_config('[midi]\npriority = "loudest"\n')
    cfg = parse_config('[midi]\ncc = { 74 = "lpf cutoff" }\nvelocity_knob = "volume"\n')
    assert cfg.midi.cc[74] == "LPF CUTOFF" and cfg.midi.velocity_knob == "VOLUME"


def test_not_toml_at_all_is_a_clear_error():
    with pytest.raises(ConfigError, match="not valid TOML"):
        parse_config("[audio\nrate=1")


def test_a_missing_config_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config(tmp_path / "nope.toml")


def test_the_board_is_chosen_by_flag_env_or_config_never_guessed(monkeypatch):
    cfg = default_config().replace(**{"board.backend": "rpi"})
    monkeypatch.delenv(PINS_ENV, raising=False)
    assert board_backend(cfg) == "rpi"
    assert board_backend(cfg, sim=True) == "sim"
    monkeypatch.setenv(PINS_ENV, "mock")
    assert board_backend(cfg) == "sim"
    monkeypatch.setenv(PINS_ENV, "toaster")
    with pytest.raises(ConfigError, match=PINS_ENV):
        board_backend(cfg)


def test_the_box_plays_the_korg35_filter_unless_told_otherwise():
    assert default_config().patch.filter == "korg35"
    assert parse_config('[patch]\nfilter = "ota"\n').patch.filter == "ota"
    with pytest.raises(ConfigError, match=r"box\.toml:2.*patch\.filter.*korg35"):
        parse_config('[patch]\nfilter = "moog"\n', "box.toml")
