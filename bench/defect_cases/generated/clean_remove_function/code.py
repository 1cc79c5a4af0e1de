import json
import os


def load_config(path):
    with open(path) as fh:
        return json.load(fh)


def config_dir():
    return os.path.expanduser("~/.config/app")
