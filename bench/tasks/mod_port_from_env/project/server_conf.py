"""Where the dev server listens."""

import os

HOST = "127.0.0.1"


def get_port():
    """The port to listen on."""
    return 8000


def get_host():
    return os.environ.get("HOST", HOST)
