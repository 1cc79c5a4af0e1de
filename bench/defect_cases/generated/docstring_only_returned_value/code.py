def load(path):
    with open(path) as fh:
        return [line.rstrip("\n").split(",") for line in fh]


def load_all(paths):
    rows = []
    for path in paths:
        rows.extend(load(path))
    return rows


def widths(rows):
    """The widest cell of each column."""


def format_row(row, sizes=None):
    sizes = sizes or [12] * len(row)
    return " | ".join(cell.ljust(size) for cell, size in zip(row, sizes))


def print_report(rows):
    sizes = widths(rows)
    for row in rows:
        print(format_row(row, sizes))
