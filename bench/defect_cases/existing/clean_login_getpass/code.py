import getpass
import imaplib

def inbox(user):
    box = imaplib.IMAP4_SSL("imap.example.com")
    box.login(user, getpass.getpass("Password: "))
    return box
