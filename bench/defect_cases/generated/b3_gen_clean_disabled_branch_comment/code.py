import json
import os


_CACHE = {}


def load_config(path, use_cache=True):
    if use_cache and path in _CACHE:
        return _CACHE[path]
    with open(path) as fh:
        data = json.load(fh)
    if use_cache:
        _CACHE[path] = data
    return data


def save_config(path, data):
    with open(path, "w") as fh:
        json.dump(data, fh, indent=2)


def config_dir():
    return os.path.expanduser("~/.config/app")
