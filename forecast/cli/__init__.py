"""The ``chunyun`` command: thin front end over ``forecast``.

Each sub-command lives in ``forecast/cli/cmd_<name>.py``, which declares it as data (``HELP``,
``DESCRIPTION``, ``FORMATS``), adds its own ``arguments(parser)`` and does the work in ``run(args)``;
:func:`build_parser` registers them all the same way. Conventions for every command: with ``--json`` or ``--csv`` stdout
carries only that data; progress and logs go to stderr; an error exits non-zero with one line
(2, or the error's own code; 70 with a traceback for a bug).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
import traceback

from forecast.cli.output import add_format_flags
from forecast.errors import ChunyunError

EXIT_ERROR = 2
EXIT_INTERNAL = 70  # EX_SOFTWARE: an unexpected exception (0 ok, 1 rows rejected, 2 error, 3 alert reached)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chunyun", description="Spring Festival travel rush (春运) forecasting.")
    parser.add_argument("-v", "--verbose", action="store_true", help="more progress on stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    package = importlib.import_module(__name__)
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name.startswith("cmd_"):
            _register(sub, info.name.removeprefix("cmd_"), importlib.import_module(f"{__name__}.{info.name}"))
    return parser


def _register(sub, name: str, command) -> None:
    """The sub-command ``name`` as its module declares it: ``HELP``, ``DESCRIPTION``, the output
    ``FORMATS`` besides text (``--json``, ``--csv``), its ``arguments(parser)`` and ``run(args)``."""
    parser = sub.add_parser(name, help=command.HELP, description=getattr(command, "DESCRIPTION", None))
    if hasattr(command, "arguments"):
        command.arguments(parser)
    if command.FORMATS:
        add_format_flags(parser, csv="csv" in command.FORMATS)
    parser.set_defaults(func=command.run)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(message)s",
        stream=sys.stderr,
    )
    try:
        result = args.func(args)
    except ChunyunError as err:
        print(f"chunyun {args.command}: error: {err}", file=sys.stderr)
        return getattr(err, "exit_code", EXIT_ERROR)
    except KeyboardInterrupt:
        print(f"chunyun {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # a bug, not bad input: never exit 1, which means "rows rejected"
        traceback.print_exc(file=sys.stderr)
        print(f"chunyun {args.command}: internal error: {type(err).__name__}: {err} "
              "(a bug: please report it with the traceback above)", file=sys.stderr)
        return EXIT_INTERNAL
    return int(result or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
