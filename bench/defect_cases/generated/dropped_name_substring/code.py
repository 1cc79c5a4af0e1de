import os


def load_all(paths):
    rows = []
    for path in paths:
        if not os.path.exists(path):
            continue
        with open(path) as fh:
            rows.extend(line.rstrip("\n").split(",") for line in fh)
    return rows


def format_row(row):
    return " | ".join(cell.ljust(12) for cell in row)


def print_report(rows):
    for row in rows:
        print(format_row(row))
