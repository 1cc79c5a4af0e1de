def dsn(user, password, host):
    template = "postgresql://{user}:{password}@{host}/app"
    return template.format(user=user, password=password, host=host)

def dsn2(user, pw, host):
    return f"mysql://{user}:{pw}@{host}/app"
