import getpass

def credentials():
    user = input("User: ")
    password = getpass.getpass()
    return user, password
