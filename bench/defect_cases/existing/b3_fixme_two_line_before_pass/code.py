def parse_lines(lines):
    out = []
    for line in lines:
        if line.startswith("#"):
            continue
        # FIXME
        # need to split the key and the value
        pass
    return out
