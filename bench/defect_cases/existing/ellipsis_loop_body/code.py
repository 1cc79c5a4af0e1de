def normalise(rows):
    out = []
    for row in rows:
        ...
    return out
