def on_shutdown() -> None:
    """Called when the server stops; nothing to release by default."""
