from flask.views import MethodView
from flask_jwt_extended import current_user

from titan.api import ID, Blueprint
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


@blp.route("/operations")
@auth_required()
@blp.arguments(OperationListArgsSchema, location="query")
@blp.response(200, page_schema(OperationSchema))
def list_operations(args):
    """The operations and what each costs, searchable over type and name."""
    return ledger.list_operations(**args)


@blp.route("/records")
class Records(MethodView):
    @auth_required()
    @blp.arguments(RecordListArgsSchema, location="query")
    @blp.response(200, page_schema(RecordSchema))
    def get(self, args):
        """Your records (deleted ones excluded), newest first unless sorted otherwise.

        `search` matches the operation's type or name, or the response; `sort_by=operation`
        sorts by the operation's name.
        """
        return ledger.list_records(current_user.id, **args)

    @auth_required()
    @blp.arguments(RecordCreateSchema)
    @blp.response(201, RecordCreatedSchema)
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
        return ledger.perform_operation(current_user.id, **data)


@blp.route(f"/records/<{ID}:record_id>", methods=["DELETE"])
@auth_required()
@blp.response(200, RecordDeletedSchema)
@blp.alt_response(404, response="NOT_FOUND", description="No such record of yours (or already deleted).")
def delete_record(record_id):
    """Delete one of your records and get its amount back.

    The record is kept (soft-deleted) but no longer listed; the balance shown on each of your later
    records rises by the refunded amount, as if the operation had never run.
    """
    balance = ledger.delete_record(current_user.id, record_id)
    return {"message": ledger.RECORD_DELETED, "user_balance": balance}


@blp.route(f"/users/<{ID}:user_id>/balance", methods=["POST"])
@auth_required(admin=True)
@blp.arguments(CreditSchema)
@blp.response(200, BalanceSchema)
@blp.alt_response(404, response="NOT_FOUND", description="Unknown user.")
@blp.alt_response(409, response="CONFLICT", description="The balance would exceed 1,000,000,000 credits.")
def credit_balance(data, user_id):
    """Credit a user's calculator balance (admins only).

    No record is written: records are for operations. A balance may not exceed 1,000,000,000.
    """
    return ledger.credit_balance(user_id, data["amount"])
