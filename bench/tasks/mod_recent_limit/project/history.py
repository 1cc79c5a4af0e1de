"""The activity history: events are dicts with "at" (a timestamp) and "what"."""


def recent(events):
    """The events, newest first."""
    return sorted(events, key=lambda e: e["at"], reverse=True)


def describe(event):
    return f'{event["at"]}: {event["what"]}'
