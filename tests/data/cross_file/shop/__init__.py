"""A tiny shop: the project the cross-file tests edit."""
