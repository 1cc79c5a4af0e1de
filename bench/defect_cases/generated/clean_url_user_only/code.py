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
def database_url():
    host = os.environ.get("DB_HOST", "localhost")
    return f"postgresql://app@{host}:5432/app"
