"""Parse the port setting."""

DEFAULT_PORT = 8080


def parse_port(value, default=DEFAULT_PORT):
    """The port in `value` (a string), or `default` when there is none."""
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        return default


def url_for(host, port):
    return f"http://{host}:{port}/"
