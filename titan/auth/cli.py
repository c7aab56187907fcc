import click
from flask.cli import AppGroup
from marshmallow import ValidationError

from titan.auth.schemas import validate_password
from titan.auth.tokens import purge_expired_revocations
from titan.auth.users import create_admin as make_admin
from titan.common.contacts import normalise_email

users_cli = AppGroup("users", help="Manage user accounts.")
auth_cli = AppGroup("auth", help="Token housekeeping.")


def checked_email(ctx, param, value):
    try:
        return normalise_email(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


def checked_password(ctx, param, value):
    try:
        validate_password(value)
    except ValidationError as error:
        raise click.BadParameter(" ".join(error.messages)) from None
    return value


# Without the options it asks for them (`make admin`); a bad answer is asked again.
@users_cli.command("create-admin")
@click.option("--email", required=True, prompt="Admin email", callback=checked_email, help="The admin's email address.")
@click.option(
    "--password",
    required=True,
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    callback=checked_password,
    help="At least 8 characters, not all digits, not a common password.",
)
def create_admin(email, password):
    """Create an admin (or promote the user with this email, setting the password)."""
    user = make_admin(email, password)
    click.echo(f"Admin {user.email} (id {user.id}) is ready.")


@auth_cli.command("purge-revoked")
def purge_revoked():
    """Delete revoked tokens that have expired anyway."""
    click.echo(f"Purged {purge_expired_revocations()} expired revocations.")
