DATABASE_URL = "postgresql://app@db.internal:5432/orders"
REPO = "git+ssh://git@github.com/acme/tools.git"
