import click
from flask import current_app
from flask.cli import with_appcontext

from titan.jobs.worker import run_worker


@click.command("worker")
@click.option("--concurrency", type=click.IntRange(1, 64), help="Jobs run at once (default: JOBS_CONCURRENCY).")
@with_appcontext
def worker(concurrency):
    """Run queued jobs (mail, webhooks) until SIGTERM; the jobs in hand finish first."""
    if current_app.config["JOBS_MODE"] != "queue":
        raise click.ClickException("JOBS_MODE is inline: the web process runs jobs itself. Set JOBS_MODE=queue.")
    run_worker(current_app._get_current_object(), concurrency or current_app.config["JOBS_CONCURRENCY"])
