"""The list envelope every list route returns: `{items, total, page, per_page, pages}`."""

import math

import marshmallow as ma
from marshmallow import validate
from sqlalchemy import func, or_, select

from titan.extensions import db

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100


class PageArgsSchema(ma.Schema):
    page = ma.fields.Integer(
        load_default=1, validate=validate.Range(min=1, max=1_000_000), metadata={"description": "The page, from 1."}
    )
    per_page = ma.fields.Integer(
        load_default=DEFAULT_PER_PAGE,
        validate=validate.Range(min=1, max=MAX_PER_PAGE),
        metadata={"description": f"Items per page (at most {MAX_PER_PAGE})."},
    )


def sortable_list_args(name, sort_columns, default_sort="id", default_direction="asc", search_help=None):
    """A query-string schema with paging, `search`, `sort_by` (only the named columns) and `direction`."""
    fields = {
        "search": ma.fields.String(
            validate=validate.Length(max=200), metadata={"description": search_help or "Text to search for."}
        ),
        "sort_by": ma.fields.String(
            load_default=default_sort,
            validate=validate.OneOf(sort_columns),
            metadata={"description": "The field to sort by; ties are broken by id."},
        ),
        "direction": ma.fields.String(
            load_default=default_direction,
            validate=validate.OneOf(("asc", "desc")),
            metadata={"description": "`asc` (smallest first) or `desc`."},
        ),
    }
    return PageArgsSchema.from_dict(fields, name=name)


def contains_any(search, *columns):
    """Any of `columns` contains `search`, in any case; `%` and `_` are searched for literally."""
    return or_(*(column.icontains(search, autoescape=True) for column in columns))


def ordered(statement, column, direction, tiebreak):
    """Order by `column`, then by `tiebreak` so that equal values page in a stable order."""
    columns = (column,) if column is tiebreak else (column, tiebreak)
    return statement.order_by(*(each.desc() if direction == "desc" else each.asc() for each in columns))


class Page(dict):
    """An envelope whose items are already what the item schema would dump (plain JSON values, in
    the schema's field order): the page schema passes it through instead of dumping it again."""


class PageSchema(ma.Schema):
    """The envelope; a `Page` is answered as it is (the schema still documents it)."""

    def dump(self, obj, *, many=None):
        if isinstance(obj, Page):
            return dict(obj)
        return super().dump(obj, many=many)


_page_schemas = {}


def page_schema(item_schema):
    """The envelope schema for a list of `item_schema`, named after it for the OpenAPI document."""
    name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
    if name not in _page_schemas:
        _page_schemas[name] = PageSchema.from_dict(
            {
                "items": ma.fields.List(ma.fields.Nested(item_schema), required=True),
                "total": ma.fields.Integer(required=True),
                "page": ma.fields.Integer(required=True),
                "per_page": ma.fields.Integer(required=True),
                "pages": ma.fields.Integer(required=True),
            },
            name=name,
        )
    return _page_schemas[name]


def envelope(items, total, page, per_page):
    return {
        "items": items,
        "total": total,
        "page": page,
        "per_page": per_page,
        "pages": math.ceil(total / per_page) if total else 0,
    }


def paginate(statement, page, per_page, rows=False):
    """Run `statement` for one page: two queries whatever the page (a count and the items: the
    first column's values, or whole rows with `rows`)."""
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    result = db.session.execute(statement.limit(per_page).offset((page - 1) * per_page))
    items = result.all() if rows else result.scalars().all()
    return envelope(items, total, page, per_page)


def counted(rows, count):
    """`rows` with the total `count` as one more column: one round trip for the page and its total
    (the count, a subquery of its own, runs once; a window function would join every row)."""
    return rows.add_columns(count.scalar_subquery().label("total"))


def dumped_page(count, rows, parameters, page, per_page, item):
    """A `Page` from statements built once with bound parameters (building a statement costs more
    than running it): `rows` (ordered, taking `:limit` and `:offset`, made by `counted` from `count`:
    its last column is the total) and `count`, run on its own only for a page past the end. Plain
    rows on the session's connection, no ORM objects; each row made an item by `item`."""
    offset = (page - 1) * per_page
    connection = db.session.connection()
    result = connection.execute(rows, {**parameters, "limit": per_page, "offset": offset}).all()
    total = result[0][-1] if result else 0
    if not result and offset:
        total = connection.execute(count, parameters).scalar_one()
    return Page(envelope([item(row) for row in result], total, page, per_page))


def iso(moment):
    """A datetime as marshmallow's DateTime field dumps it (ISO 8601)."""
    return moment.isoformat() if moment is not None else None
