import click
from flask.cli import AppGroup

from titan.auth.schemas import validate_password
from titan.auth.tokens import purge_expired_revocations
from titan.auth.users import create_admin as make_admin
from titan.common.contacts import normalise_email

users_cli = AppGroup("users", help="Manage user accounts.")
auth_cli = AppGroup("auth", help="Token housekeeping.")


@users_cli.command("create-admin")
@click.option("--email", required=True, help="The admin's email address.")
@click.option("--password", required=True, help="At least 8 characters, not all digits, not a common password.")
def create_admin(email, password):
    """Create an admin (or promote the user with this email, setting the password)."""
    try:
        email = normalise_email(email)
        validate_password(password)
    except Exception as error:  # noqa: BLE001 - ValueError or marshmallow's ValidationError
        raise click.BadParameter(str(getattr(error, "messages", error))) from None
    user = make_admin(email, password)
    click.echo(f"Admin {user.email} (id {user.id}) is ready.")


@auth_cli.command("purge-revoked")
def purge_revoked():
    """Delete revoked tokens that have expired anyway."""
    click.echo(f"Purged {purge_expired_revocations()} expired revocations.")
