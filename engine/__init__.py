"""LimeLight's engine: everything from decoding to encoding, with no Qt so the CLI, the GUI and tests share it."""
