"""Peer benchmark jobs; each runs in that peer's own virtualenv (see ../run.py)."""
