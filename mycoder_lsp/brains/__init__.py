"""The three brains: backends, routing, governance, edits and the request flow."""
