"""click: a command group with options, arguments, prompts and errors run by CliRunner."""
# dists: click
import click
from click.testing import CliRunner


@click.group()
@click.option("--verbose", "-v", count=True)
@click.pass_context
def cli(ctx, verbose):
    ctx.obj = verbose


@cli.command()
@click.argument("names", nargs=-1)
@click.option("--shout/--no-shout", default=False)
@click.pass_obj
def greet(verbose, names, shout):
    for n in names:
        msg = f"hello {n} ({verbose})"
        click.echo(msg.upper() if shout else msg)


@cli.command()
@click.option("--count", type=click.IntRange(1, 5), required=True)
def repeat(count):
    click.echo("x" * count)


r = CliRunner()
for args in (["-vv", "greet", "ann", "bob", "--shout"], ["repeat", "--count", "9"], ["--help"]):
    res = r.invoke(cli, args, prog_name="corpus")
    print(res.exit_code, res.output)
