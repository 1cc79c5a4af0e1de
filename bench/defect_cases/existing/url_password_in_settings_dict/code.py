DATABASES = {
    "default": {
        "URL": "mysql://root:rootpass99@localhost:3306/app",
        "CONN_MAX_AGE": 60,
    }
}
