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
    """The URL of the database, e.g. ``postgresql://user:<password>@host/db``.

    Set DATABASE_URL; a URL such as postgresql://app:${DB_PASSWORD}@db/app is expanded by the shell.
    """
    return os.environ["DATABASE_URL"]
