"""Clients for outside services. Each has a configurable base URL and a timeout."""
