import json
import os


class Config:
    """Settings from a JSON file."""

    def __init__(self, path):
        self.path = path
        self.data = {}

    def load(self):
        if not os.path.exists(self.path):
            self.data = {}
            return self.data
        with open(self.path) as fh:
            self.data = json.load(fh)
        return self.data

    def get(self, key, default=None):
        return self.data.get(key, default)


def env_override(config, prefix="APP_"):
    for key, value in os.environ.items():
        if key.startswith(prefix):
            config.data[key[len(prefix):].lower()] = value
    return config
