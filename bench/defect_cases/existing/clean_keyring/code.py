import keyring

def password_for(user):
    return keyring.get_password("backup-service", user)
