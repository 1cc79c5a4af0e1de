import sqlite3

def connect(path):
    conn = sqlite3.connect(path)
    # XXX: work around old sqlite versions without foreign keys on by default
    conn.execute("PRAGMA foreign_keys = ON")
    return conn
