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
def make_celery():
    from celery import Celery
    app = Celery("app")
    app.conf.broker_url = "redis://:CeleryPw88@redis:6379/0"
    return app
