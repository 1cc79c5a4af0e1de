import pymysql

def connect():
    return pymysql.connect("localhost", "root", "r00tpass", "app")
