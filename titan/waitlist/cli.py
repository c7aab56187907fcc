import click
from flask import current_app
from flask.cli import AppGroup

from titan.members import ranking
from titan.waitlist.admission import admit_next, prune_unconfirmed

waitlist_cli = AppGroup("waitlist", help="Run the waitlist.")


@waitlist_cli.command("admit")
@click.argument("count", type=click.IntRange(min=1, max=100_000))
def admit(count):
    """Admit the next COUNT waiting users in position order (confirmed ones only, with
    EMAIL_CONFIRMATION on); each gets an email with the link that sets a password."""
    admitted = admit_next(count)
    click.echo(f"Admitted {len(admitted)} users.")


@waitlist_cli.command("prune")
def prune():
    """Remove waiting members who never confirmed their address (after WAITLIST_UNCONFIRMED_DAYS)."""
    removed = prune_unconfirmed()
    days = current_app.config["WAITLIST_UNCONFIRMED_DAYS"]
    click.echo(f"Removed {removed} unconfirmed members who joined more than {days} days ago.")


@waitlist_cli.command("rebuild-ranking")
def rebuild_ranking():
    """Recompute boosts with the current WAITLIST_REFERRAL_BOOST, then rebuild the Redis ranking set."""
    changed = ranking.recompute_boosts(current_app.config["WAITLIST_REFERRAL_BOOST"])
    click.echo(f"Boosts recomputed: {changed} users changed.")
    count = ranking.rebuild()
    if count is None:
        click.echo("No Redis configured (or a rebuild is already running): positions come from the database.")
    else:
        click.echo(f"Ranking rebuilt: {count} waiting users.")
