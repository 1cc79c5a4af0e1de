import json

def read_config(path):
    with open(path) as fh:
        text = fh.read()
    # FIXME: handle invalid JSON here
    return json.loads(text)
