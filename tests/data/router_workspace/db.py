"""A thin wrapper around sqlite3."""

import sqlite3


class Database:
    def __init__(self, path):
        self.path = path
        self.conn = None

    def connect(self):
        self.conn = sqlite3.connect(self.path)
        return self

    def execute(self, sql, params=()):
        cur = self.conn.cursor()
        cur.execute(sql, params)
        self.conn.commit()
        return cur

    def fetch_all(self, sql, params=()):
        return self.execute(sql, params).fetchall()

    def close(self):
        self.conn.close()


def migrate(db, scripts):
    for script in scripts:
        db.execute(script)
