import pyodbc

conn = pyodbc.connect("DRIVER={SQL Server};SERVER=db01;DATABASE=sales;UID=sa;PWD=Passw0rd!2")
