def connect(url: str):
    """Open a connection.

    ``url`` looks like ``postgresql://user:${PASSWORD}@host/db`` or
    ``postgresql://user:password@host/db``.
    """
    return url
