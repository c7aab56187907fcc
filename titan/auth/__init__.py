"""Accounts and authentication: registration, OAuth2 password grant, JWTs, phone login, profiles."""
