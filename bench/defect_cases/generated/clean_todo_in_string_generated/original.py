def load(path):
    with open(path) as fh:
        return [line.rstrip("\n").split(",") for line in fh]


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
