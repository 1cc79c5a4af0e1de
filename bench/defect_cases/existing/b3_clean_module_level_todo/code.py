# TODO: split this module into io.py and model.py
import json


def load(path):
    with open(path) as fh:
        return json.load(fh)
