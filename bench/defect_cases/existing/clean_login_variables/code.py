def sign_in(client, user, pw):
    client.login(username=user, password=pw)
    return client.session
