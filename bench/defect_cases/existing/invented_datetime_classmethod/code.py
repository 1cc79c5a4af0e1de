import datetime

def parse_stamp(text):
    return datetime.datetime.from_string(text)
