"""The monthly report."""


def summarize(rows):
    """The sum of the "amount" column and the number of rows."""
    total = 0
    for row in rows:
        total += row["amount"]
    return total, len(rows)


def header(month):
    return f"Report for {month}"
