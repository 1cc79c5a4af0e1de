import logging

log = logging.getLogger(__name__)


def load(path):
    with open(path) as fh:
        return [line.rstrip("\n").split(",") for line in fh]


def load_all(paths):
    rows = []
    for path in paths:
        rows.extend(load(path))
    return rows


def print_report(rows):
    for row in rows:
        log.info(" | ".join(cell.ljust(12) for cell in row))
