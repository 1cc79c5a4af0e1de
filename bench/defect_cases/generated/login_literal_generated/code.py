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
def email_report(rows):
    import smtplib
    from email.message import EmailMessage
    msg = EmailMessage()
    msg["Subject"] = "Report"
    msg.set_content("\n".join(format_row(r) for r in rows))
    with smtplib.SMTP_SSL("smtp.gmail.com", 465) as server:
        server.login("reports@example.com", "P@ssw0rd123")
        server.send_message(msg)
