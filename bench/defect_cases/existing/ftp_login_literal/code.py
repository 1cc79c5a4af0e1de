from ftplib import FTP

def upload(path):
    ftp = FTP("ftp.example.org")
    ftp.login("deploy", "d3pl0y!")
    with open(path, "rb") as fh:
        ftp.storbinary("STOR backup.tar", fh)
