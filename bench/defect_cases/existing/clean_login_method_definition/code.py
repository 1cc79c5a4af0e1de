class Session:
    def __init__(self, api):
        self.api = api
        self.token = None

    def login(self, username, password):
        self.token = self.api.authenticate(username, password)
        return self.token
