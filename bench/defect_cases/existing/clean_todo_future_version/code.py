import sys

def utc_now():
    import datetime
    # TODO: use datetime.UTC once we drop Python 3.10
    return datetime.datetime.now(datetime.timezone.utc)
