"""The entry point of ``crongate`` and ``python -m crongate``.

``crongate --version`` is handled here, before the CLI module and click are imported,
because importing click alone took about four times as long as starting Python on a
2-core machine (measured with ``python -c``). The output is the same line that click's
version option prints.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    """Run the CLI with ``argv`` (default: the process arguments) and exit with its code."""
    arguments = sys.argv[1:] if argv is None else argv
    if arguments == ["--version"]:
        from crongate import __version__

        sys.stdout.write(f"crongate, version {__version__}\n")
        sys.exit(0)

    from crongate.cli import main as cli_main

    cli_main(arguments)


if __name__ == "__main__":
    main()
