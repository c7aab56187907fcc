"""Every model, imported in one place so Alembic and the shell see the whole schema."""

from titan.auth.models import PhoneCode, RevokedToken, User
from titan.calculator.models import Operation, Record
from titan.market.models import Point, Series
from titan.referrals.models import ReferralCode

__all__ = ["User", "RevokedToken", "PhoneCode", "ReferralCode", "Operation", "Record", "Series", "Point"]
