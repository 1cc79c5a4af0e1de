import re

TODO_RE = re.compile(r"#\s*(TODO|FIXME|XXX)\b(.*)")

def todos(source):
    return [m.group(2).strip() for m in TODO_RE.finditer(source)]
