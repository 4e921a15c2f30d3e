"""``python -m orderdoctor.cli``: the same as the ``orderdoctor`` command."""

from orderdoctor.cli.console import run

run()
