import os

SECRET_KEY = os.environ.get("SECRET_KEY", "")
API_TOKEN = os.getenv("API_TOKEN")
password_hash = "sha256$" + os.environ["SALT"]
