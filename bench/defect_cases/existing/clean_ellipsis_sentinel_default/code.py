def get(mapping, key, default=...):
    if key in mapping:
        return mapping[key]
    if default is ...:
        raise KeyError(key)
    return default
