"""thirdparty: a small command-line app on click and rich, installed from PyPI into the
app's virtualenv (requirements.txt). Rich is chosen for its many small modules."""
import click
from rich.console import Console
from rich.table import Table


@click.command()
@click.option("--name", default="world", help="Who to greet.")
def main(name):
    table = Table(title=f"Hello, {name}!")
    table.add_column("package")
    table.add_column("what it does here")
    table.add_row("click", "parses the command line")
    table.add_row("rich", "draws this table")
    # A fixed width and no colours: the output must not depend on the terminal.
    Console(width=60, color_system=None).print(table)


if __name__ == "__main__":
    main()
