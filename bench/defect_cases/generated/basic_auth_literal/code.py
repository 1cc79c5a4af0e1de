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
def fetch_remote(url):
    import requests
    from requests.auth import HTTPBasicAuth
    resp = requests.get(url, auth=HTTPBasicAuth("admin", "Adm1nPass"), timeout=10)
    return resp.json()
