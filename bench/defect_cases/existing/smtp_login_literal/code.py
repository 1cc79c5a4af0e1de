import smtplib

def send_report(body):
    with smtplib.SMTP("smtp.example.com", 587) as smtp:
        smtp.starttls()
        smtp.login("alerts@example.com", "Tr0ub4dor&3")
        smtp.sendmail("alerts@example.com", ["ops@example.com"], body)
