import re

def tokens(text):
    words = re.findall(r"\w+", text)  # TODO: cache the compiled pattern
    return [w.lower() for w in words]
