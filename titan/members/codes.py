"""What a code in a request means: a user's permanent invite code, or a referral code a user
created (active until it expires or is revoked). Writes always check a code in the database;
read-only look-ups of referral codes go through the cache, from which a revoked code is dropped."""

from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import bindparam, exists, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from titan.common.codes import normalise_code
from titan.common.exceptions import InvalidInput, NotFound
from titan.common.types import utcnow
from titan.extensions import cache, db
from titan.members.models import CODE_ACTIVE, CODE_REVOKED, ReferralCode, User

CODE_NOT_FOUND = "Referral code not found"
CODE_EXPIRED = "Referral code has expired"

# Built once: this runs for every new user, and building the statement costs more than running it.
CODE_IN_USE = select(
    or_(
        exists().where(User.invite_code == bindparam("code")),
        exists().where(ReferralCode.code == bindparam("code")),
    )
)


def code_in_use(code):
    """Is `code` (upper-case) taken by any invite code or referral code?"""
    return db.session.scalar(CODE_IN_USE, {"code": code})


def code_not_found():
    return NotFound("code_not_found", CODE_NOT_FOUND)


def code_expired():
    return InvalidInput("code_expired", CODE_EXPIRED)


def code_revoked():
    """A code its owner deleted. The API's words are the contract's for any dead code
    (docs/contract.md §3); its own reason lets the pages say what happened."""
    return InvalidInput("code_revoked", CODE_EXPIRED)


def dead_code(revoked):
    """The error for a referral code that no longer works: revoked by its owner, or expired."""
    return code_revoked() if revoked else code_expired()


def resolve_referral_code(code):
    """The user a code refers to, checked against the database (every write path uses this).

    An invite code never expires; a referral code must be active (not revoked) and unexpired.
    """
    code = normalise_code(code)
    owner = db.session.scalar(select(User).where(User.invite_code == code, User.is_active.is_(True)))
    if owner is not None:
        return owner
    referral = db.session.execute(
        select(ReferralCode, User).join(User, ReferralCode.owner_id == User.id).where(ReferralCode.code == code)
    ).first()
    if referral is None or not referral.User.is_active:
        raise code_not_found()
    if not referral.ReferralCode.is_active_at(utcnow()):
        raise dead_code(referral.ReferralCode.status == CODE_REVOKED)
    return referral.User


def code_cache_key(code):
    return f"referral-code:{code}"


def forget_cached_code(code):
    cache.delete(code_cache_key(code))


def cached_referral_code_owner_id(code):
    """The owner of a referral code, for read-only look-ups: through the cache (shared by every
    worker when it is Redis), which holds where a code points and until when. Raises NotFound,
    or InvalidInput when the code expired or was revoked (`code_expired`, `code_revoked`)."""
    key = code_cache_key(code)
    entry = cache.get(key)
    if entry is None:
        row = db.session.execute(
            select(ReferralCode.owner_id, ReferralCode.expires_at, ReferralCode.status).where(ReferralCode.code == code)
        ).first()
        entry = (
            {
                "owner_id": row.owner_id,
                "expires_at": row.expires_at.timestamp(),
                "active": row.status == CODE_ACTIVE,
                "revoked": row.status == CODE_REVOKED,
            }
            if row
            else {"owner_id": None}
        )
        cache.set(key, entry, timeout=current_app.config["REFERRAL_CODE_CACHE_SECONDS"])
    if entry["owner_id"] is None:
        raise code_not_found()
    if not entry["active"] or datetime.fromtimestamp(entry["expires_at"], UTC) <= utcnow():
        raise dead_code(entry.get("revoked", False))
    return entry["owner_id"]


def insert_with_free_code(dialect_name, model, columns, code_elsewhere):
    """`INSERT INTO <model's table> (columns) SELECT :columns WHERE NOT EXISTS (code_elsewhere)
    ON CONFLICT DO NOTHING RETURNING *`, read back as `model`: one statement that adds the row, or
    nothing when a unique value is taken, in this table or (as `code_elsewhere` asks) as a code
    of the other kind. No savepoint: a conflict is an answer, not an error that spoils the
    transaction. Building it costs more than running it: callers build it once."""
    dialect_insert = postgresql.insert if dialect_name == "postgresql" else sqlite.insert
    table = model.__table__
    values = select(*(bindparam(name, type_=table.c[name].type) for name in columns))
    row = values.where(~exists().where(code_elsewhere))
    statement = dialect_insert(table).from_select(columns, row, include_defaults=False)
    return select(model).from_statement(statement.on_conflict_do_nothing().returning(*table.columns))
