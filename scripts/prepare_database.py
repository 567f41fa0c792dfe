"""`make run`'s database step: `flask --app portal db upgrade`, then `seed-demo`, in one process.

The same two commands, from one import of the portal: each `flask` process spends seconds
importing it and loading the content before it does anything, and on a first run these two
stand one after the other between the installed packages and the first page.

Usage: prepare_database.py  (the portal's settings from the environment, as `flask` reads them)
"""

from __future__ import annotations

import sys

import click

from portal import create_app
from portal.config import ConfigError

COMMANDS = (["db", "upgrade"], ["seed-demo"])


def main() -> int:
    try:
        app = create_app()
    except ConfigError as error:  # a refused setting: its lines, not a traceback
        print(error, file=sys.stderr)
        return 1
    # Inside the app context, the commands' @with_appcontext uses this app rather than
    # loading another one.
    with app.app_context():
        for command in COMMANDS:
            try:
                app.cli.main(command, prog_name="flask --app portal", standalone_mode=False)
            except click.ClickException as error:
                error.show()
                return error.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
