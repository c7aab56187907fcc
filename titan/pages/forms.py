"""The forms of the pages (Flask-WTF: every one carries a CSRF token)."""

from flask_wtf import FlaskForm
from wtforms import EmailField, IntegerField, PasswordField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Regexp, StopValidation

from titan.common.codes import CUSTOM_CODE_PATTERN, normalise_code
from titan.common.contacts import normalise_email
from titan.common.fields import EmailAddress

INVALID_EMAIL = EmailAddress.default_error_messages["invalid"]
ADMIT_AT_MOST = 500


class NormalisedEmailField(EmailField):
    """An address checked and lower-cased exactly as the API's `EmailAddress` field does."""

    def pre_validate(self, form):
        if not self.data:
            return
        try:
            self.data = normalise_email(self.data)
        except ValueError:
            raise StopValidation(INVALID_EMAIL) from None


class JoinForm(FlaskForm):
    email = NormalisedEmailField(
        "Email address",
        validators=[DataRequired("Enter your email address."), Length(max=254, message=INVALID_EMAIL)],
        render_kw={"autocomplete": "email", "placeholder": "you@example.com", "inputmode": "email"},
    )


class CodeLoginForm(FlaskForm):
    code = StringField(
        "Your referral code",
        validators=[
            DataRequired("Enter your referral code."),
            Regexp(CUSTOM_CODE_PATTERN, message="Codes are 4 to 32 letters and digits, like K7M2QX9D."),
        ],
        filters=[lambda value: normalise_code(value) if value else value],
        render_kw={
            "autocomplete": "off",
            "autocapitalize": "characters",
            "spellcheck": "false",
            "placeholder": "K7M2QX9D",
        },
    )


class AdminLoginForm(FlaskForm):
    email = EmailField(
        "Email", validators=[DataRequired("Enter your email address.")], render_kw={"autocomplete": "username"}
    )
    password = PasswordField(
        "Password", validators=[DataRequired("Enter your password.")], render_kw={"autocomplete": "current-password"}
    )


class AdmitForm(FlaskForm):
    count = IntegerField(
        "Number of people to admit",
        default=10,
        validators=[
            InputRequired("Enter how many people to admit."),
            NumberRange(1, ADMIT_AT_MOST, message=f"Admit between 1 and {ADMIT_AT_MOST} people at a time."),
        ],
    )


class RetryJobForm(FlaskForm):
    """No fields: the CSRF token for a job's retry button."""


class SignOutForm(FlaskForm):
    """No fields: just the CSRF token for a sign-out button."""
