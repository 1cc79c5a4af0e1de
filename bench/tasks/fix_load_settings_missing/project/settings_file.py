"""Settings stored as JSON on disk."""

import json


def load_settings(path):
    """The settings in the JSON file at `path` ({} when there is no such file)."""
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def save_settings(path, settings):
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(settings, fh)
