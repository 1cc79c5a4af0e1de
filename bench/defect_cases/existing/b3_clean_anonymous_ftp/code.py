from ftplib import FTP

def listing(host):
    with FTP(host) as ftp:
        ftp.login("anonymous", "anonymous@")
        return ftp.nlst()
