DATABASE_URL = "sqlite:///app.db"
API = "http://localhost:8000/api"
MAILTO = "mailto:ops@example.com"
