import csv

def load_rows(path):
    ...

def main():
    for row in load_rows("data.csv"):
        print(row)
