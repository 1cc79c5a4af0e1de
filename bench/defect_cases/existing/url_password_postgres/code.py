from sqlalchemy import create_engine

DATABASE_URL = "postgresql://admin:S3cretPass42@db.internal:5432/orders"
engine = create_engine(DATABASE_URL)
