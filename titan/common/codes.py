"""Human-friendly codes: no look-alike characters (0/O, 1/I/L), upper-case, case-insensitive."""

import re
import secrets

from titan.converters import CODE_PATTERN

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
INVITE_CODE_LENGTH = 8
CUSTOM_CODE_PATTERN = re.compile(rf"^{CODE_PATTERN}$")


def generate_code(length=INVITE_CODE_LENGTH):
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def normalise_code(code):
    """Codes compare case-insensitively; they are stored and looked up upper-case."""
    return code.strip().upper()
