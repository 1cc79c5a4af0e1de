import psycopg2

conn = psycopg2.connect(host="localhost", dbname="shop", user="shop", password="hunter2x")
