"""Parse comma-separated records."""


def parse_line(line):
    """The fields of one line, without surrounding whitespace."""
    return [field.strip(" ") for field in line.split(",")]


def parse_lines(lines):
    return [parse_line(line) for line in lines if line.strip()]
