def load(paths):
    rows = []
    for path in paths:
        with open(path) as fh:
            rows.extend(line.rstrip("\n").split(",") for line in fh)
    return rows


def format_row(row):
    return " | ".join(cell.ljust(12) for cell in row)


def print_report(rows):
    for row in rows:
        print(format_row(row))
