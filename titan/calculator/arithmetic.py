"""What each operation answers: exact sums and products, 28-digit quotients and roots, random strings."""

import secrets
from decimal import Context

from titan.common.exceptions import InvalidInput, Unavailable
from titan.integrations import random_org
from titan.integrations.http import OutboundError

RANDOM_STRING_MAX_LENGTH = 64
RANDOM_ORG_RETRY_SECONDS = 5

# Sums and products of bounded operands (see schemas.Operand) are exact at 100 digits; quotients
# and square roots are rounded to 28 significant digits.
EXACT = Context(prec=100)
ROUNDED = Context(prec=28)
BINARY_OPERATIONS = {
    "addition": EXACT.add,
    "subtraction": EXACT.subtract,
    "multiplication": EXACT.multiply,
    "division": ROUNDED.divide,
}


def format_number(value):
    """Plain decimal notation without trailing zeros: 0.3, 2.5, 100 (never 1E+2 or -0)."""
    if value.is_zero():
        return "0"
    return format(value.normalize(EXACT), "f")


def calculate(operation_type, operator1, operator2):
    """The answer of an arithmetic operation. Raises InvalidInput for operands it cannot take."""
    if operation_type == "square_root":
        if operator1 < 0:
            raise InvalidInput(
                "negative_square_root", "Cannot take the square root of a negative number.", field="operator1"
            )
        return format_number(ROUNDED.sqrt(operator1))
    if operator2 is None:
        raise InvalidInput("operand_missing", "This operation needs two operands.", field="operator2")
    if operation_type == "division" and operator2.is_zero():
        raise InvalidInput("division_by_zero", "Cannot divide by zero.", field="operator2")
    return format_number(BINARY_OPERATIONS[operation_type](operator1, operator2))


def random_string_length(operator1):
    if operator1 != operator1.to_integral_value() or not 1 <= operator1 <= RANDOM_STRING_MAX_LENGTH:
        raise InvalidInput(
            "length_invalid",
            f"The length must be a whole number from 1 to {RANDOM_STRING_MAX_LENGTH}.",
            field="operator1",
        )
    return int(operator1)


def random_string(length):
    """From random.org when it is configured (503 if it fails), else from `secrets`."""
    if not random_org.is_enabled():
        return "".join(secrets.choice(random_org.CHARACTERS) for _ in range(length))
    try:
        return random_org.generate_string(length)
    except OutboundError:
        raise Unavailable(
            "random_unavailable",
            "The random string service is unavailable; nothing was charged. Try again shortly.",
            retry_after=RANDOM_ORG_RETRY_SECONDS,
        ) from None


def answer(operation_type, operator1, operator2):
    if operation_type == "random_string":
        return random_string(random_string_length(operator1))
    return calculate(operation_type, operator1, operator2)
