"""orderdoctor's terminal front end: a thin shell over :mod:`orderdoctor.engine`.

Entry point: :func:`orderdoctor.cli.main.main` (``main(argv) -> exit status``).
"""
