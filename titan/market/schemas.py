import marshmallow as ma
from marshmallow import validate

from titan.market.analytics import PERIODS


class LowerCaseString(ma.fields.String):
    """A string compared case-insensitively: validated and returned lower-cased."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip().lower()


class ChartQuerySchema(ma.Schema):
    period = LowerCaseString(
        load_default="all",
        validate=validate.OneOf(PERIODS),
        metadata={"description": "How far back the chart goes (case-insensitive)."},
    )


class ChartSchema(ma.Schema):
    labels = ma.fields.List(
        ma.fields.Integer(),
        required=True,
        metadata={"description": "Dates, as Unix seconds (midnight UTC), oldest first."},
    )
    titan = ma.fields.List(
        ma.fields.Float(),
        required=True,
        metadata={"description": "The Titan series, rebased to 10,000 at the first date."},
    )
    sp500 = ma.fields.List(
        ma.fields.Float(), required=True, metadata={"description": "The S&P 500, rebased to 10,000 at the first date."}
    )


class StatRowSchema(ma.Schema):
    label = ma.fields.String(required=True, metadata={"example": "Annualized return (%)"})
    titan = ma.fields.Float(required=True, metadata={"example": 7.91})
    sp500 = ma.fields.Float(required=True, metadata={"example": 6.43})


class PointRowSchema(ma.Schema):
    """One row of an imported `date,close` CSV."""

    date = ma.fields.Date(required=True)
    close = ma.fields.Float(required=True, allow_nan=False, validate=validate.Range(min=0, min_inclusive=False))
