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
def load_json(path):
    from pathlib import Path
    return Path(path).read_json()
