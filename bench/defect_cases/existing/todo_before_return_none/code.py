def find_user(users, email):
    email = email.strip().lower()
    # TODO: look up the user by email
    return None
