"""MS-20 firmware: the C kernel's Python side, the panel, the patch bay and the box."""

__version__ = "0.1.0"
