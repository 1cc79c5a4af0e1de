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
def get_engine():
    from sqlalchemy import create_engine
    return create_engine("postgresql://app:Winter2024!@db.internal:5432/app")
