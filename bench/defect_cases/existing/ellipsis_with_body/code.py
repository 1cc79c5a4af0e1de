def write_log(path, lines):
    if not lines:
        return
    with open(path, "a") as fh:
        ...
