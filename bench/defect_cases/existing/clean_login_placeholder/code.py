def example(client):
    client.login("user", "<password>")
    client.login("admin", "***")
    client.login("admin", "")
