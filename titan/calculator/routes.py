from flask.views import MethodView
from flask_jwt_extended import current_user

from titan.api import ID, Blueprint, path_parameter
from titan.calculator import ledger
from titan.calculator.schemas import (
    BalanceSchema,
    CreditSchema,
    OperationListArgsSchema,
    OperationSchema,
    RecordCreatedSchema,
    RecordCreateSchema,
    RecordDeletedSchema,
    RecordListArgsSchema,
    RecordSchema,
)
from titan.common.guards import auth_required
from titan.common.pagination import page_schema

blp = Blueprint(
    "calculator",
    __name__,
    url_prefix="/api/v1",
    description="Paid arithmetic operations, your balance, and the ledger of what you spent.",
)
# Examples (docs only): Ada (user 42) divides 10 by 4.
RECORD = {
    "id": 311,
    "operation_id": 4,
    "operation_type": "division",
    "user_id": 42,
    "amount": 5,
    "user_balance": 2495,
    "operation_response": "2.5",
    "created_at": "2026-11-04T08:30:00+00:00",
}


@blp.route("/operations")
@auth_required()
@blp.arguments(OperationListArgsSchema, location="query")
@blp.response(
    200,
    page_schema(OperationSchema),
    example={
        "items": [
            {"id": 1, "name": "Addition", "type": "addition", "cost": 3},
            {"id": 2, "name": "Subtraction", "type": "subtraction", "cost": 3},
            {"id": 3, "name": "Multiplication", "type": "multiplication", "cost": 5},
            {"id": 4, "name": "Division", "type": "division", "cost": 5},
            {"id": 5, "name": "Square Root", "type": "square_root", "cost": 4},
            {"id": 6, "name": "Random String", "type": "random_string", "cost": 8},
        ],
        "total": 6,
        "page": 1,
        "per_page": 20,
        "pages": 1,
    },
)
def list_operations(args):
    """The operations and what each costs, searchable over type and name.

    `id` is the `operation_id` to send to `POST /api/v1/records`; `cost` is in credits.
    """
    return ledger.list_operations(**args)


@blp.route("/records")
class Records(MethodView):
    @auth_required(read_only=True)
    @blp.arguments(RecordListArgsSchema, location="query")
    @blp.response(
        200, page_schema(RecordSchema), example={"items": [RECORD], "total": 1, "page": 1, "per_page": 20, "pages": 1}
    )
    def get(self, args):
        """Your records (deleted ones excluded), newest first unless sorted otherwise.

        `search` matches the operation's type or name, or the response; `sort_by=operation`
        sorts by the operation's name.
        """
        return ledger.list_records(current_user.id, **args)

    @auth_required()
    @blp.arguments(RecordCreateSchema, example={"operation_id": 4, "operator1": 10, "operator2": 4})
    @blp.response(
        201, RecordCreatedSchema, example={"record_id": 311, "user_balance": 2495, "operation_response": "2.5"}
    )
    @blp.alt_response(402, response="PAYMENT_REQUIRED", description="insufficient balance (nothing is recorded).")
    @blp.alt_response(404, response="NOT_FOUND", description="Unknown operation.")
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE", description="random.org failed; nothing was charged.")
    def post(self, data):
        """Run an operation: its cost is taken from your balance and a record is kept.

        Operands are numbers or numeric strings (decimals allowed) with |x| ≤ 10^15 and at most 20
        digits after the point, so every answer fits its record. Addition, subtraction and
        multiplication are exact; division and square root give 28 significant digits. Answers are
        plain decimals without trailing zeros (`0.1 + 0.2` → `"0.3"`, `10 / 4` → `"2.5"`).
        `square_root` and `random_string` use `operator1` only; `random_string` takes a whole
        length from 1 to 64 and answers letters and digits (from random.org when configured).

        400 for division by zero, the square root of a negative, a missing or non-numeric operand;
        402 "insufficient balance" when the balance is below the cost. A request that fails charges
        nothing; concurrent requests never spend the same credits twice.
        """
        return ledger.perform_operation(current_user, **data)


@blp.route(
    f"/records/<{ID}:record_id>", methods=["DELETE"], parameters=[path_parameter("record_id", "One of your records.")]
)
@auth_required()
@blp.response(
    200,
    RecordDeletedSchema,
    example={"message": "Record deleted successfully, user balances records updated", "user_balance": 2500},
)
@blp.alt_response(404, response="NOT_FOUND", description="No such record of yours (or already deleted).")
def delete_record(record_id):
    """Delete one of your records and get its amount back.

    The record is kept (soft-deleted) but no longer listed; the balance shown on each of your later
    records rises by the refunded amount, as if the operation had never run.
    """
    balance = ledger.delete_record(current_user.id, record_id)
    return {"message": ledger.RECORD_DELETED, "user_balance": balance}


@blp.route(
    f"/users/<{ID}:user_id>/balance",
    methods=["POST"],
    parameters=[path_parameter("user_id", "The user to credit.")],
)
@auth_required(admin=True)
@blp.arguments(CreditSchema, example={"amount": 500})
@blp.response(200, BalanceSchema, example={"id": 42, "balance": 2995})
@blp.alt_response(404, response="NOT_FOUND", description="Unknown user.")
@blp.alt_response(409, response="CONFLICT", description="The balance would exceed 1,000,000,000 credits.")
def credit_balance(data, user_id):
    """Credit a user's calculator balance (admins only).

    No record is written: records are for operations. A balance may not exceed 1,000,000,000.
    """
    return ledger.credit_balance(user_id, data["amount"])
