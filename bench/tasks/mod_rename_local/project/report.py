"""The monthly report."""


def summarize(rows):
    """The sum of the "amount" column and the number of rows."""
    x = 0
    for row in rows:
        x += row["amount"]
    return x, len(rows)


def header(month):
    return f"Report for {month}"
