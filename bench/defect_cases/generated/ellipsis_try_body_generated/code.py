import json
import os


def load_config(path):
    with open(path) as fh:
        return json.load(fh)


def save_config(path, data):
    tmp = path + ".tmp"
    try:
        ...
    except OSError:
        os.remove(tmp)
        raise


def config_dir():
    return os.path.expanduser("~/.config/app")
