_MISSING = ...

def lookup(table, key):
    if key not in table:
        return _MISSING
    return table[key]
