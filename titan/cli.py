"""Command-line tools: `flask --app wsgi <group> <command>`."""

import click
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from titan.auth.cli import auth_cli, users_cli
from titan.extensions import db
from titan.jobs.cli import worker
from titan.market.cli import market_cli
from titan.members.models import User
from titan.waitlist.cli import waitlist_cli


@click.command("demo")
def demo():
    """Load the demo data (idempotent: running it again changes nothing)."""
    from titan.demo import load_demo_data

    for line in load_demo_data():
        click.echo(line)


@click.command("banner")
@click.option("--host", default="127.0.0.1", help="The host `flask run` listens on.")
@click.option("--port", default=5000, type=int, help="The port `flask run` listens on.")
def banner(host, port):
    """Say where the site is and how to get into /admin (`make run` prints it before serving)."""
    if host in ("0.0.0.0", "::", ""):  # listening everywhere: this machine answers on loopback
        host = "127.0.0.1"
    base = f"http://{f'[{host}]' if ':' in host else host}:{port}"
    embedded = db.engine.dialect.name == "sqlite"
    create = "make admin" if embedded else "flask --app wsgi users create-admin"
    try:
        admins = db.session.scalar(
            select(func.count()).select_from(User).where(User.is_admin, User.is_active, User.password_hash.is_not(None))
        )
    except SQLAlchemyError:  # not migrated yet: say how to create one anyway
        db.session.rollback()
        admins = None
    if admins:
        admin_line = (
            f"{admins} admin{'s' if admins != 1 else ''} can sign in there. Another, or a new password: {create}"
        )
    else:
        admin_line = f"No admin yet. Create one (asks for an email and a password): {create}"
    click.echo(
        "\n".join(
            (
                "",
                click.style("Titan is starting", bold=True),
                f"  Site      {base}/",
                f"  API docs  {base}/docs  (try calls with a token at {base}/swagger)",
                f"  Admin     {base}/admin",
                f"            {admin_line}",
                "",
            )
        )
    )


def register_commands(app):
    for command in (users_cli, auth_cli, waitlist_cli, market_cli, demo, banner, worker):
        app.cli.add_command(command)
