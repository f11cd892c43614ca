"""The board: its definition (hw/board.toml), the chips' drivers, and the pin/SPI factories they run on."""
