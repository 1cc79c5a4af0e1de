from pathlib import Path

def read_settings(path):
    return Path(path).read_json()
