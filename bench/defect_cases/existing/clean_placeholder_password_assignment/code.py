DEFAULTS = {
    "user": "admin",
    "password": "changeme",
    "token": "${TOKEN}",
}
