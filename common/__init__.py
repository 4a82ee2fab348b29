"""Helpers below every layer (gui > engine > models > common): nothing here imports LimeLight's other packages."""
