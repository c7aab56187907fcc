"""The forms of the pages (Flask-WTF: every one carries a CSRF token)."""

from flask_wtf import FlaskForm
from marshmallow import ValidationError
from wtforms import BooleanField, EmailField, IntegerField, PasswordField, StringField
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    StopValidation,
)

from titan.auth.schemas import USERNAME_PATTERN, Username, validate_password
from titan.common.codes import CUSTOM_CODE_PATTERN, normalise_code
from titan.common.contacts import normalise_email
from titan.common.fields import EmailAddress

INVALID_EMAIL = EmailAddress.default_error_messages["invalid"]
ADMIT_AT_MOST = 500
USERNAME_RULE = Username.default_error_messages["invalid"]


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


class EmailForm(FlaskForm):
    email = NormalisedEmailField(
        "Email address",
        validators=[DataRequired("Enter your email address."), Length(max=254, message=INVALID_EMAIL)],
        render_kw={"autocomplete": "email", "placeholder": "you@example.com", "inputmode": "email"},
    )


def password_rules(form, field):
    try:
        validate_password(field.data or "")
    except ValidationError as error:
        raise StopValidation(" ".join(error.messages)) from None


class SetPasswordForm(FlaskForm):
    """A new password (the rules of the API), typed twice."""

    password = PasswordField(
        "New password",
        validators=[DataRequired("Choose a password."), Length(max=128), password_rules],
        render_kw={"autocomplete": "new-password"},
    )
    repeat = PasswordField(
        "The same password again",
        validators=[DataRequired("Type the password again."), EqualTo("password", "The two passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )


class ActivateForm(SetPasswordForm):
    username = StringField(
        "Username (optional)",
        validators=[Optional(), Regexp(USERNAME_PATTERN, message=USERNAME_RULE)],
        filters=[lambda value: value.strip().lower() if value else value],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )


class ConfirmForm(FlaskForm):
    """No fields: the CSRF token for a button that uses a link (signing in, unsubscribing, deleting)."""


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
    # Admitting cannot be undone and mails everyone admitted: the form asks first.
    confirm = BooleanField(
        "Yes: admit them now and email each one",
        validators=[DataRequired("Tick the box to confirm: admitting sends each person an email.")],
    )


class RetryJobForm(FlaskForm):
    """No fields: the CSRF token for a job's retry button."""


class SignOutForm(FlaskForm):
    """No fields: just the CSRF token for a sign-out button."""
