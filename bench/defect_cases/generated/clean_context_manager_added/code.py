import json
import os


def load_config(path):
    with open(path) as fh:
        return json.load(fh)


def save_config(path, data):
    with open(path, "w") as fh:
        json.dump(data, fh, indent=2)


def config_dir():
    return os.path.expanduser("~/.config/app")
class TemporaryConfig:
    def __init__(self, path):
        self.path = path
        self.saved = None

    def __enter__(self):
        self.saved = load_config(self.path)
        return self.saved

    def __exit__(self, *exc):
        save_config(self.path, self.saved)
