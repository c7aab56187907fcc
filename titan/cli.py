"""Command-line tools: `flask --app wsgi <group> <command>`."""

import click

from titan.auth.cli import auth_cli, users_cli
from titan.jobs.cli import worker
from titan.market.cli import market_cli
from titan.waitlist.cli import waitlist_cli


@click.command("demo")
def demo():
    """Load the demo data (idempotent: running it again changes nothing)."""
    from titan.demo import load_demo_data

    for line in load_demo_data():
        click.echo(line)


def register_commands(app):
    for command in (users_cli, auth_cli, waitlist_cli, market_cli, demo, worker):
        app.cli.add_command(command)
