from sqlalchemy import create_engine

engine = create_engine("mysql+pymysql://root:r00tpw@127.0.0.1:3306/app", pool_pre_ping=True)
