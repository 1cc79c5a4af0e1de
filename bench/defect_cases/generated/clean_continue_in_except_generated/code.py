def load(path):
    rows = []
    with open(path) as fh:
        for line in fh:
            try:
                rows.append(line.rstrip("\n").split(",", 2))
            except ValueError:
                continue
    return rows


def load_all(paths):
    rows = []
    for path in paths:
        rows.extend(load(path))
    return rows


def format_row(row):
    return " | ".join(cell.ljust(12) for cell in row)


def print_report(rows):
    for row in rows:
        print(format_row(row))
