import decimal

import marshmallow as ma
from marshmallow import validate

from titan.common.pagination import sortable_list_args

# Operands are bounded so that every result (exact sums and products, 28-digit quotients and
# roots) fits the 255-character `operation_response` column with room to spare.
MAX_OPERAND_MAGNITUDE = decimal.Decimal(10) ** 15
MAX_OPERAND_FRACTION_DIGITS = 20
# Wide enough that normalising never rounds an operand within bounds (16 + 20 digits at most).
OPERAND_CONTEXT = decimal.Context(prec=100)
MAX_CREDIT = 1_000_000


class Operand(ma.fields.Decimal):
    """A number (or numeric string): |x| ≤ 10^15, at most 20 digits after the point; no NaN or
    infinity, no booleans."""

    default_error_messages = {
        "too_large": "Operands must be between -1000000000000000 and 1000000000000000.",
        "too_precise": f"Operands may have at most {MAX_OPERAND_FRACTION_DIGITS} digits after the decimal point.",
    }

    def __init__(self, **kwargs):
        metadata = kwargs.setdefault("metadata", {})
        metadata.setdefault("example", 12.5)
        metadata.setdefault(
            "description",
            "A number or numeric string, |x| ≤ 10^15, at most 20 digits after the decimal point.",
        )
        super().__init__(**kwargs)

    def _validated(self, value):
        if isinstance(value, str):
            value = value.strip()
        number = super()._validated(value)
        if number.copy_abs() > MAX_OPERAND_MAGNITUDE:  # copy_abs never rounds or overflows
            raise self.make_error("too_large")
        # The first check catches digits too small to survive normalising; the second counts
        # digits after the point without trailing zeros (0.50 and 0.5 are the same operand).
        if not number.is_zero() and number.adjusted() < -MAX_OPERAND_FRACTION_DIGITS:
            raise self.make_error("too_precise")
        number = number.normalize(OPERAND_CONTEXT)
        if number.as_tuple().exponent < -MAX_OPERAND_FRACTION_DIGITS:
            raise self.make_error("too_precise")
        return number


class OperationSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True, metadata={"example": "Square Root"})
    type = ma.fields.String(required=True, metadata={"example": "square_root"})
    cost = ma.fields.Integer(required=True, metadata={"description": "Credits charged per use.", "example": 4})


OperationListArgsSchema = sortable_list_args(
    "OperationListArgs", ("id", "type", "name", "cost"), search_help="Matches the operation's type or name."
)

RecordListArgsSchema = sortable_list_args(
    "RecordListArgs",
    ("id", "amount", "user_balance", "created_at", "operation"),
    default_direction="desc",
    search_help="Matches the operation's type or name, or the response.",
)


class RecordCreateSchema(ma.Schema):
    operation_id = ma.fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1), metadata={"example": 1}
    )
    operator1 = Operand(required=True)
    operator2 = Operand(
        metadata={
            "example": 4,
            "description": "Second operand of addition, subtraction, multiplication and division (ignored by "
            "square_root and random_string). Same bounds as `operator1`.",
        }
    )


class RecordCreatedSchema(ma.Schema):
    record_id = ma.fields.Integer(required=True)
    user_balance = ma.fields.Integer(required=True, metadata={"description": "Your balance after the charge."})
    operation_response = ma.fields.String(required=True, metadata={"example": "2.5"})


class RecordSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    operation_id = ma.fields.Integer(required=True)
    operation_type = ma.fields.String(required=True, attribute="operation.type", metadata={"example": "division"})
    user_id = ma.fields.Integer(required=True)
    amount = ma.fields.Integer(required=True, metadata={"description": "Credits charged."})
    user_balance = ma.fields.Integer(required=True, metadata={"description": "Your balance right after it."})
    operation_response = ma.fields.String(required=True)
    created_at = ma.fields.DateTime(required=True)


class RecordDeletedSchema(ma.Schema):
    message = ma.fields.String(
        required=True, metadata={"example": "Record deleted successfully, user balances records updated"}
    )
    user_balance = ma.fields.Integer(required=True, metadata={"description": "Your balance after the refund."})


class CreditSchema(ma.Schema):
    amount = ma.fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1, max=MAX_CREDIT),
        metadata={"description": f"Credits to add, 1 to {MAX_CREDIT:,}.", "example": 500},
    )


class BalanceSchema(ma.Schema):
    id = ma.fields.Integer(required=True, metadata={"description": "The user's id."})
    balance = ma.fields.Integer(required=True, metadata={"description": "The user's balance after the credit."})
