"""The board's drivers, built from a checked definition (board_def.py) on any pin factory:
the real GPIO/SPI or the simulated board's (commands/board_args.py chooses which)."""

from __future__ import annotations

from typing import Any

from ms20.hardware.board_def import BoardDef, ChannelRef, ChipDef, CvInDef
from ms20.hardware.drivers.chip_select import ChipSelectDecoder
from ms20.hardware.drivers.jack_matrix import JackMatrix
from ms20.hardware.drivers.led import StatusLed
from ms20.hardware.drivers.mcp3208 import MCP3208, AnalogIn
from ms20.hardware.drivers.mcp4822 import MCP4822, CvOut
from ms20.hardware.drivers.shift_register import ShiftRegister74HC165, ShiftRegister74HC595
from ms20.hardware.drivers.switches import ControlWheel, MomentarySwitch, RotarySwitch
from ms20.hardware.pins import SPI_BUSES, Factory
from ms20.hardware.pins.base import SPI
from ms20.model.panel import layout


class Board:
    """Every driver of the box, built from a checked definition on a pin factory.

    pots, switches: panel name -> driver; wheel; cv_ins: jack -> (AnalogIn, CvInDef);
    cv_outs: jack -> CvOut; momentary; led; matrix. `sim` is the MockBoard when simulated.
    """

    def __init__(self, definition: BoardDef, factory: Factory, sim: Any = None) -> None:
        d = self.definition = definition
        self.factory = factory
        self.sim = sim
        for what, pins in d.reserved.items():
            for p in pins:
                factory.reserve(p, what)
        kw = {"clock_hz": d.spi_clock_hz, "mode": d.spi_mode}
        decoder: ChipSelectDecoder | None = None
        if d.decoder_part is not None and d.decoder_enable is not None:
            ce = int(d.decoder_enable[2:])
            spi = factory.spi(d.spi_bus, ce, f"{d.decoder_part} chip-select decoder", **kw)
            address = [factory.pin(p, f"{d.decoder_part} A{i}") for i, p in enumerate(d.decoder_address)]
            decoder = ChipSelectDecoder(spi, address)

        def device(chip: ChipDef) -> SPI:
            if chip.select.startswith("Y"):
                assert decoder is not None
                return decoder.device(int(chip.select[1:]))
            return factory.spi(d.spi_bus, int(chip.select[2:]), chip.id, **kw)

        self.adcs = {a.id: MCP3208(device(a), a.vref_v, name=a.id) for a in d.adcs}
        self.dacs = {a.id: MCP4822(device(a), a.gain, name=a.id) for a in d.dacs}
        lay = layout()

        def analog(ref: ChannelRef) -> AnalogIn:
            return self.adcs[ref.adc].channel(ref.channel)

        self.pots: dict[str, AnalogIn] = {name: analog(ref) for name, ref in d.pots.items()}
        self.switches: dict[str, RotarySwitch] = {
            name: RotarySwitch(analog(ref), len(lay.switch(name).positions)) for name, ref in d.switches.items()}
        self.wheel = ControlWheel(analog(d.wheel))
        self.cv_ins: dict[str, tuple[AnalogIn, CvInDef]] = {j: (analog(v.ref), v) for j, v in d.cv_ins.items()}
        self.cv_outs: dict[str, CvOut] = {
            j: CvOut(self.dacs[v.dac], v.channel, v.volts_at_0, v.volts_at_full) for j, v in d.cv_outs.items()}
        self.momentary = MomentarySwitch(factory.pin(d.momentary_pin, "momentary switch"))
        self.led = StatusLed(factory.pin(d.status_led_pin, "status LED"))
        mdrive, msense = d.matrix.drive, d.matrix.sense
        drive = ShiftRegister74HC595(
            factory.pin(mdrive.pins["data"], "matrix drive data (74HC595 SER)"),
            factory.pin(mdrive.pins["clock"], "matrix drive clock (74HC595 SRCLK)"),
            factory.pin(mdrive.pins["latch"], "matrix drive latch (74HC595 RCLK)"), mdrive.chips)
        sense = ShiftRegister74HC165(
            factory.pin(msense.pins["load"], "matrix sense load (74HC165 SH/LD)"),
            factory.pin(msense.pins["clock"], "matrix sense clock (74HC165 CLK)"),
            factory.pin(msense.pins["data"], "matrix sense data (74HC165 QH)"), msense.chips)
        self.matrix = JackMatrix(drive, sense, d.matrix.jacks)
        for i, p in enumerate(SPI_BUSES[d.spi_bus].ce):   # dtparam=spi=on claims every CE line
            if factory.owner(p) is None:
                factory.reserve(p, f"SPI{d.spi_bus} CE{i} (unused)")

    def close(self) -> None:
        """Leave the hardware quiet (matrix released, LED off) and free every line."""
        self.matrix.idle()
        self.led.off()
        self.factory.close()

    def __enter__(self) -> Board:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
