"""LimeLight's desktop app: Qt widgets over the engine; no video or face logic lives here."""
