"""Human-friendly codes: no look-alike characters (0/O, 1/I/L), upper-case, case-insensitive."""

import re
import secrets

from werkzeug.routing import BaseConverter

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
INVITE_CODE_LENGTH = 8
# What any code may look like (invite codes, generated and custom referral codes), in any case.
CODE_PATTERN = "[A-Za-z0-9]{4,32}"
CUSTOM_CODE_PATTERN = re.compile(rf"^{CODE_PATTERN}$")


class CodeConverter(BaseConverter):
    """`<code:code>` in a route: a path segment that cannot be a code matches nothing (404), so
    neither NUL nor any other stray character reaches a look-up. Case is left to the look-up."""

    regex = CODE_PATTERN


def generate_code(length=INVITE_CODE_LENGTH):
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def normalise_code(code):
    """Codes compare case-insensitively; they are stored and looked up upper-case."""
    return code.strip().upper()
