"""The activity history: events are dicts with "at" (a timestamp) and "what"."""


def recent(events, limit=None):
    """The events, newest first."""
    ordered = sorted(events, key=lambda e: e["at"], reverse=True)
    return ordered if limit is None else ordered[:limit]


def describe(event):
    return f'{event["at"]}: {event["what"]}'
