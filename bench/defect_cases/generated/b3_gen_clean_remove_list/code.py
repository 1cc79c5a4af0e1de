def load(path):
    with open(path) as fh:
        return [line.rstrip("\n").split(",") for line in fh]
