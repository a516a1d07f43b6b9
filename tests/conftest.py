"""Shared test configuration.

Its presence puts ``tests/`` on ``sys.path`` (pytest's default "prepend" import mode), so suites in
different folders can share plain modules such as ``validation_cases`` (the table of bad inputs).
"""
