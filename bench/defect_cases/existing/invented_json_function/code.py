import json

def load(path):
    return json.loads_file(path)
