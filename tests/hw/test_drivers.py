"""The drivers speak to the chips bit-exactly, and run the same on every backend."""

from __future__ import annotations

import pytest

from ms20.hardware.drivers import mcp3208, mcp4822
from ms20.hardware.drivers.chip_select import ChipSelectDecoder
from ms20.hardware.drivers.mcp3208 import MCP3208, AdcError
from ms20.hardware.drivers.shift_register import ShiftRegister74HC165, ShiftRegister74HC595
from ms20.hardware.drivers.switches import decode_ladder, ladder_tap_fraction
from ms20.hardware.pins.mock import MockFactory
from ms20.sim.chips import Mock74HC165Chain, Mock74HC595Chain, MockMCP3208, MockMCP4822


def _adc(volts_by_channel, noise=0, **kw):
    f = MockFactory()
    chip = MockMCP3208("ADC", 3.3, lambda ch: volts_by_channel[ch], lambda: noise, **kw)
    f.wire_spi(0, 0, chip)
    return MCP3208(f.spi(0, 0, "ADC"), 3.3), chip


def _reads_wrong(reply: list[int], good: int) -> bool:
    """A reply that either fails the null-bit check or decodes to another count."""
    try:
        return mcp3208.decode(reply) != good
    except AdcError:
        return True


# -- MCP3208 ----------------------------------------------------------------------------------------

def test_each_adc_channel_reads_its_own_voltage():
    volts = [0.0, 0.4125, 0.825, 1.2375, 1.65, 2.0625, 2.475, 3.29]
    adc, _ = _adc(volts)
    for ch, v in enumerate(volts):
        assert adc.read(ch) == min(int(v / 3.3 * 4096), 4095)


def test_a_batched_read_gives_the_same_counts_frame_by_frame():
    volts = [0.1 * (k + 1) for k in range(8)]
    adc, chip = _adc(volts)
    assert adc.read_many([7, 0, 3]) == [adc.read(7), adc.read(0), adc.read(3)]
    assert chip.conversions == 6                      # one conversion per frame, as on the chip


def test_the_request_frame_matches_the_datasheet_table():
    # channel 5 single-ended: 0000 0110 | 0100 0000 | 0000 0000 (start, SGL, D2 / D1 D0)
    assert mcp3208.command(5) == [0b0000_0111, 0b0100_0000, 0]
    assert mcp3208.command(2, single_ended=False) == [0b0000_0100, 0b1000_0000, 0]


def test_a_misframed_request_reads_a_wrong_value_as_on_the_chip():
    adc, chip = _adc([1.0] * 8)
    good = adc.read(0)
    # The start bit one place later: the chip answers one bit later than the driver expects.
    late = [b >> 1 for b in mcp3208.command(0)]
    assert _reads_wrong(list(chip(bytes(late), 1_000_000, 0)), good)


def test_an_adc_that_does_not_answer_is_reported_not_read_as_full_scale():
    f = MockFactory()                                  # nothing wired on the bus: MISO floats high
    adc = MCP3208(f.spi(0, 0, "ADC"), 3.3, name="ADC3")
    with pytest.raises(AdcError, match="ADC3 channel 2.*null bit"):
        adc.read(2)


def test_an_adc_clocked_beyond_its_limit_loses_its_low_bits():
    f = MockFactory()
    chip = MockMCP3208("ADC", 3.3, lambda ch: 1.0, lambda: 0)
    f.wire_spi(0, 0, chip)
    slow = MCP3208(f.spi(0, 0, "ADC", clock_hz=1_000_000)).read(0)
    fast = [MCP3208(f.spi(0, 0, "ADC", clock_hz=3_600_000)).read(0) for _ in range(8)]
    assert any(v != slow for v in fast)
    assert all(abs(v - slow) < 16 for v in fast)


def test_the_wrong_spi_mode_is_refused_by_the_driver_and_garbled_by_the_chip():
    f = MockFactory()
    chip = MockMCP3208("ADC", 3.3, lambda ch: 1.0, lambda: 0)
    f.wire_spi(0, 0, chip)
    with pytest.raises(ValueError, match="mode 0 or 3"):
        MCP3208(f.spi(0, 0, "ADC", mode=1))
    good = mcp3208.decode(list(chip(bytes(mcp3208.command(0)), 1_000_000, 0)))
    assert _reads_wrong(list(chip(bytes(mcp3208.command(0)), 1_000_000, 1)), good)


def test_differential_pairs_read_the_difference():
    adc, _ = _adc([2.0, 0.5, 0, 0, 0, 0, 0, 0])
    assert adc.read_differential(0) == int(1.5 / 3.3 * 4096)   # CH0+ CH1-
    assert adc.read_differential(1) == 0                        # CH0- CH1+: negative clips to 0


# -- MCP4822 -------------------------------------------------------------------------------------------

def test_dac_frames_set_the_voltage_of_the_channel_they_name():
    f = MockFactory()
    chip = MockMCP4822("DAC")
    f.wire_spi(0, 1, chip)
    dac = mcp4822.MCP4822(f.spi(0, 1, "DAC"), gain=2)
    dac.write("A", 2048)
    dac.write("B", 1000)
    assert chip.pin_volts["A"] == pytest.approx(2.048)
    assert chip.pin_volts["B"] == pytest.approx(1000 * 4.096 / 4096)
    assert mcp4822.frame("B", 0xABC, gain=1) == [0b1011_1010, 0xBC]
    dac.shutdown("A")
    assert chip.pin_volts["A"] is None


def test_a_short_dac_frame_is_ignored():
    chip = MockMCP4822("DAC")
    chip(bytes([0x10]), 1_000_000, 0)
    assert chip.pin_volts["A"] is None and chip.writes == 0


# -- 74HC138, 74HC595, 74HC165 ----------------------------------------------------------------------------

def test_the_decoder_sends_each_frame_to_the_chip_its_address_picks():
    from ms20.sim.chips import Mock74HC138

    f = MockFactory()
    decoder_mock = Mock74HC138([f.line(p) for p in (22, 23, 24)])
    f.wire_spi(0, 0, decoder_mock)
    for y in range(8):
        decoder_mock.outputs[y] = MockMCP3208(f"ADC{y}", 3.3, lambda ch, y=y: 0.1 * (y + 1), lambda: 0)
    decoder = ChipSelectDecoder(f.spi(0, 0, "decoder"), [f.pin(p, f"A{i}") for i, p in enumerate((22, 23, 24))])
    for y in (5, 0, 7, 3):
        assert MCP3208(decoder.device(y)).read(0) == int(0.1 * (y + 1) / 3.3 * 4096)


def _chains(chips=2):
    t = [0.0]
    f = MockFactory(clock=lambda: t[0], record=True)
    lines = [f.line(p) for p in (5, 6, 13, 16, 26, 12)]
    drive_mock = Mock74HC595Chain(lines[0], lines[1], lines[2], chips)
    inputs = {"levels": 0}
    sense_mock = Mock74HC165Chain(lines[3], lines[4], lines[5], chips, lambda: inputs["levels"])
    drive = ShiftRegister74HC595(f.pin(5, "SER"), f.pin(6, "SRCLK"), f.pin(13, "RCLK"), chips)
    sense = ShiftRegister74HC165(f.pin(16, "SH/LD"), f.pin(26, "CLK"), f.pin(12, "QH"), chips)
    return f, drive, drive_mock, sense, sense_mock, inputs


def test_a_595_chain_puts_bit_p_on_output_p_and_only_at_the_latch():
    f, drive, drive_mock, *_ = _chains()
    drive.write(0b1010_0000_0000_0011)
    assert drive_mock.outputs == 0b1010_0000_0000_0011
    for _ in range(16):
        drive.shift(True)
    assert drive_mock.outputs == 0b1010_0000_0000_0011      # shifted but not latched
    drive.latch()
    assert drive_mock.outputs == 0xFFFF


def test_a_595_write_clocks_sixteen_edges_then_one_latch():
    f, drive, *_ = _chains()
    f.line(6).history.clear()
    f.line(13).history.clear()
    drive.write(0x1234)
    assert sum(level for _, level in f.line(6).history) == 16
    assert sum(level for _, level in f.line(13).history) == 1


def test_a_165_chain_reads_input_p_as_bit_p():
    *_, sense, sense_mock, inputs = _chains()
    for levels in (0x0001, 0x8000, 0x00FF, 0xA5C3):
        inputs["levels"] = levels
        assert sense.read() == levels


# -- switch ladders -------------------------------------------------------------------------------------------

def test_every_ladder_tap_decodes_to_its_position_and_an_open_wiper_to_none():
    for k in range(4):
        count = int(ladder_tap_fraction(k, 4) * 4096)
        for noise in (-12, 0, 12):
            assert decode_ladder(count + noise, 4) == k
    assert decode_ladder(3, 4) is None


def test_a_ladder_reading_on_a_band_edge_keeps_the_current_position():
    edge = int((ladder_tap_fraction(1, 4) + ladder_tap_fraction(2, 4)) / 2 * 4096)
    assert decode_ladder(edge + 5, 4, current=1) == 1
    assert decode_ladder(edge - 5, 4, current=2) == 2


# -- on every backend ---------------------------------------------------------------------------------------

def test_every_adc_channel_on_the_board_answers(board):
    for name, ain in {**board.pots, "wheel": board.wheel.adc}.items():
        assert 0 <= ain.read() <= 4095, name


def test_every_matrix_line_follows_its_own_drive(board):
    readings = board.matrix.probe(board.matrix.all_jacks)
    stuck = [board.matrix.jacks[p] for p, low in readings.items() if not low >> p & 1]
    assert stuck == []


def test_a_probe_leaves_every_line_released(mock_board):
    matrix, chain = mock_board.hardware.matrix, mock_board.drive_chain
    for jacks in (matrix.all_jacks, 1 << 0, 1 << (len(matrix.jacks) - 1)):   # the last position too
        matrix.probe(jacks)
        assert chain.outputs == chain.mask


def test_the_status_led_lights_and_goes_out(board):
    board.led.on()
    assert board.led.is_lit
    board.led.off()
    assert not board.led.is_lit
