from pathlib import Path

import click
from flask.cli import AppGroup

from titan.common.exceptions import InvalidInput
from titan.market import services

market_cli = AppGroup("market", help="Market series: the S&P 500 and the Titan portfolio.")


@market_cli.command("import")
@click.argument("name")
@click.argument("csv_file", metavar="FILE.csv", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--description", default="", help="What the series is; shown with it.")
@click.option("--demo", is_flag=True, help="Label the series as demo data.")
def import_series(name, csv_file, description, demo):
    """Replace series NAME with the rows of a `date,close` CSV (all or nothing)."""
    try:
        with csv_file.open(newline="", encoding="utf-8-sig") as lines:
            summary = services.import_csv(name, lines, description=description, is_demo=demo)
    except InvalidInput as error:
        raise click.ClickException(error.message) from None
    except UnicodeDecodeError:
        raise click.ClickException(f"{csv_file} is not UTF-8 text.") from None
    click.echo(f"Imported {summary.points} points into {summary.name} ({summary.first} to {summary.last}).")
