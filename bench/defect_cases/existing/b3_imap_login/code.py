import imaplib

def unread():
    mail = imaplib.IMAP4_SSL("imap.gmail.com")
    mail.login("me@gmail.com", "app-pass-9913")
    mail.select("inbox")
    return mail.search(None, "UNSEEN")
