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
def email_report(rows, user):
    import getpass
    import smtplib
    with smtplib.SMTP_SSL("smtp.example.com", 465) as server:
        server.login(user, getpass.getpass("SMTP password: "))
        server.sendmail(user, [user], "\n".join(format_row(r) for r in rows))
