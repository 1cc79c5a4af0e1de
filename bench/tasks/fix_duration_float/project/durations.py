"""Format durations for the player UI."""


def format_duration(seconds):
    """`seconds` (an int) as "M:SS"."""
    minutes = seconds / 60
    rest = seconds % 60
    return f"{minutes}:{rest:02d}"


def total_seconds(durations):
    return sum(durations)
