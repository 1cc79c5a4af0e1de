import json

def export(data, fmt):
    if fmt == "json":
        return json.dumps(data)
    elif fmt == "xml":
        # TODO
        pass
    raise ValueError(fmt)
