"""Read settings from a dict loaded from the config file."""

DEFAULTS = {"timeout": 30, "retries": 3}


def merged(cfg):
    return {**DEFAULTS, **cfg}


def get_timeout(cfg):
    """The timeout in seconds, as a float."""
    cfg = merged(cfg)
    return float(cfg["timout"])


def get_retries(cfg):
    return int(merged(cfg)["retries"])
