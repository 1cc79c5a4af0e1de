import datetime
from pathlib import Path

def stamp(path):
    text = Path(path).read_text(encoding="utf-8")
    return datetime.datetime.fromisoformat(text.strip())
