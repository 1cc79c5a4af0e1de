def handle_event(state, event):
    if event["type"] == "click":
        state["clicks"] += 1
    elif event["type"] == "key":
        # implement key handling here
        pass
    return state
