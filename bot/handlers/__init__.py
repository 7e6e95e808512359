"""Telegram handlers, one module per capability; each exposes `register(application)`."""
