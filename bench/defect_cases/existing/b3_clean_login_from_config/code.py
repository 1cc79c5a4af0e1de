import smtplib

def send(cfg, message):
    with smtplib.SMTP(cfg["host"], cfg["port"]) as smtp:
        smtp.login(cfg["user"], cfg["password"])
        smtp.send_message(message)
