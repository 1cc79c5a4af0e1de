def pending(tasks):
    """Return the tasks still marked TODO, oldest first."""
    return sorted((t for t in tasks if t.state == "TODO"), key=lambda t: t.created)
