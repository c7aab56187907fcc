"""Password hashes (scrypt by default; `PASSWORD_HASH_METHOD`)."""

import secrets

from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash


def hash_password(password):
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def password_matches(password_hash, password):
    """Does `password` match? With no hash (no such user, or a user without a password) it checks
    against a dummy hash, so that an unknown account costs the same one hash as a known one."""
    if not password_hash:
        check_password_hash(dummy_password_hash(), password)
        return False
    return check_password_hash(password_hash, password)


def dummy_password_hash():
    """A hash of a random password, made once per app."""
    extensions = current_app.extensions
    if "titan_dummy_hash" not in extensions:
        extensions["titan_dummy_hash"] = hash_password(secrets.token_hex(16))
    return extensions["titan_dummy_hash"]
