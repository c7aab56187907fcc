"""URL converters: what a path segment may be before any view sees it."""

from werkzeug.routing import BaseConverter

# What any code may look like (invite codes, generated and custom referral codes), in any case.
CODE_PATTERN = "[A-Za-z0-9]{4,32}"


class CodeConverter(BaseConverter):
    """`<code:code>` in a route: a path segment that cannot be a code matches nothing (404), so
    neither NUL nor any other stray character reaches a look-up. Case is left to the look-up."""

    regex = CODE_PATTERN
