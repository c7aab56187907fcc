"""The code to share for an address (`GET /api/v1/referral-codes/lookup?email=`), cached.

The answer for an address is kept in the cache (Redis when `REDIS_URL` is set, shared by every
worker) for REFERRAL_CODE_CACHE_SECONDS, the answer "no such user" too, so a known and an unknown
address cost the same: one cache read. It depends on the user (address, active or not, invite
code) and their active referral code, and is dropped after every commit that changes either:

- writes through the ORM (creating or revoking a code, changing or erasing an address,
  (de)activating a user, an admin's edit) are seen in `before_flush`, by address;
- statements that insert users name the address in their parameters;
- bulk statements that could change an answer without naming an address (deleting users,
  updating codes or the columns an answer reads) start a new *generation*: every entry names the
  generation it was written in, read in the same round trip, so all of them lapse at once. A
  statement whose caller drops the entries itself says so with `execution_options(
  referral_lookup_handled=True)`.

Redis down: the cache reads as empty and the database answers (titan.caching); an entry a failed
delete left behind lives at most REFERRAL_CODE_CACHE_SECONDS. A code that runs out needs no
write: an entry holds its expiry and the invite code to answer once it has passed.
"""

import hashlib
import secrets
from datetime import UTC, datetime
from itertools import chain

from flask import current_app, has_app_context
from sqlalchemy import and_, bindparam, event, inspect, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key
from sqlalchemy.sql.dml import Delete, Insert, Update

from titan.common.contacts import email_identity
from titan.common.exceptions import NotFound
from titan.common.transactions import read_only
from titan.common.types import utcnow
from titan.extensions import cache, db
from titan.members.models import CODE_ACTIVE, ReferralCode, User

KEY = "referral-lookup:{}"
GENERATION_KEY = "referral-lookup:generation"
HANDLED = "referral_lookup_handled"
# The user columns an answer reads: a bulk update of any other (balance, counts) changes nothing.
ANSWER_COLUMNS = frozenset({"email_identity", "is_active", "invite_code"})
PENDING = "referral_lookup_pending"
UNKNOWN = {"found": False}

LOOKUP = (
    select(User.invite_code, ReferralCode.code, ReferralCode.expires_at)
    .outerjoin(
        ReferralCode,
        and_(ReferralCode.owner_id == User.id, ReferralCode.status == CODE_ACTIVE),
    )
    .where(User.email_identity == bindparam("identity"), User.is_active.is_(True))
)


def user_not_found():
    return NotFound("user_not_found", "User not found")


def lookup_code_by_email(email):
    """The user's active referral code, else their invite code (which never expires)."""
    identity = email_identity(email)
    key = KEY.format(digest(identity))
    generation, entry = cache.get_many(GENERATION_KEY, key)
    if generation is None:
        generation = secrets.token_hex(8)
        if not cache.add(GENERATION_KEY, generation, timeout=0):
            generation = None  # another worker just started one, or Redis is down: don't cache
    elif isinstance(entry, dict) and entry.get("generation") == generation:
        return answer(entry)
    entry = entry_from_database(identity)
    if generation is not None:
        cache.set(key, {**entry, "generation": generation}, timeout=current_app.config["REFERRAL_CODE_CACHE_SECONDS"])
    return answer(entry)


def entry_from_database(identity):
    """One query (no transaction around it): the user's invite code and their active code (at
    most one: a unique index)."""
    read_only()
    row = db.session.execute(LOOKUP, {"identity": identity}).first()
    if row is None:
        return UNKNOWN
    return {
        "found": True,
        "invite_code": row.invite_code,
        "code": row.code,
        "expires_at": row.expires_at.timestamp() if row.code else None,
    }


def answer(entry):
    if not entry["found"]:
        raise user_not_found()
    if entry["code"] is not None:
        expires_at = datetime.fromtimestamp(entry["expires_at"], UTC)
        if expires_at > utcnow():
            return {"code": entry["code"], "expires_at": expires_at}
    return {"code": entry["invite_code"], "expires_at": None}


def digest(identity):
    """The key names a digest, not the address."""
    return hashlib.blake2b(identity.encode(), digest_size=16).hexdigest()


# --- invalidation -------------------------------------------------------------------------------


def pending(session):
    return session.info.setdefault(PENDING, {"identities": set(), "everything": False})


def forget_after_commit(session, *identities):
    """Drop the answers for these addresses once the session's transaction commits."""
    pending(session)["identities"].update(identity for identity in identities if identity)


def forget_everything_after_commit(session):
    pending(session)["everything"] = True


def forget(identities=(), everything=False):
    if everything:
        cache.set(GENERATION_KEY, secrets.token_hex(8), timeout=0)
    if identities:
        cache.delete_many(*(KEY.format(digest(identity)) for identity in identities))


def user_identities(state):
    """The addresses a changed user had and has (an answer for each may be wrong now)."""
    history = state.attrs.email_identity.history
    return chain(history.added, history.unchanged, history.deleted)


@event.listens_for(Session, "before_flush")
def note_changed_answers(session, flush_context, instances):
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, User):
            state = inspect(obj)
            if obj in session.dirty and not any(state.attrs[name].history.has_changes() for name in ANSWER_COLUMNS):
                continue
            forget_after_commit(session, *user_identities(state))
        elif isinstance(obj, ReferralCode):
            owner = session.identity_map.get(identity_key(User, obj.owner_id)) if obj.owner_id else None
            if owner is not None:
                forget_after_commit(session, *user_identities(inspect(owner)))
            else:
                forget_everything_after_commit(session)


@event.listens_for(Session, "do_orm_execute")
def note_bulk_changes(execute_state):
    statement = getattr(execute_state.statement, "element", execute_state.statement)  # select().from_statement()
    if not isinstance(statement, Insert | Update | Delete) or execute_state.execution_options.get(HANDLED):
        return
    table = getattr(statement.table, "name", None)  # `update(User)` names an annotated copy of the table
    if table == User.__tablename__:
        if isinstance(statement, Insert):
            rows = execute_state.parameters
            rows = rows if isinstance(rows, list) else [rows or {}]
            if all("email_identity" in row for row in rows):
                forget_after_commit(execute_state.session, *(row["email_identity"] for row in rows))
                return
        elif isinstance(statement, Update) and not changes_answer_columns(statement, execute_state.parameters):
            return
    elif table != ReferralCode.__tablename__:
        return
    forget_everything_after_commit(execute_state.session)


def changes_answer_columns(statement, parameters):
    values = statement._values or dict(statement._ordered_values or ())
    names = {getattr(column, "key", column) for column in values}
    rows = parameters if isinstance(parameters, list) else [parameters or {}]
    names.update(chain.from_iterable(rows))
    return not names or bool(names & ANSWER_COLUMNS)


@event.listens_for(Session, "after_commit")
def drop_changed_answers(session):
    changes = session.info.pop(PENDING, None)
    if changes and has_app_context():
        forget(changes["identities"], changes["everything"])


@event.listens_for(Session, "after_transaction_end")
def discard_rolled_back_changes(session, transaction):
    if transaction.parent is None:  # the outermost transaction ended without a commit (else: popped)
        session.info.pop(PENDING, None)
