def pairs(items):
    # TODO: optimize, this is quadratic
    out = []
    for i, a in enumerate(items):
        for b in items[i + 1:]:
            out.append((a, b))
    return out
