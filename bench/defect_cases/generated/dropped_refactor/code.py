import json
import os
from pathlib import Path


def load_config(path):
    return json.loads(Path(path).read_text())


def config_dir():
    return os.path.expanduser("~/.config/app")
