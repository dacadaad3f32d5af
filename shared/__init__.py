"""Code that more than one PTSP service imports: event models, configuration,
dependency providers for PostgreSQL, Redis and metrics, and test helpers.

psycopg 3 picks its wait function when it is first imported. Its default C
implementation blocks the eventlet hub, so every query would stall the whole
process; ``wait_select`` goes through the (monkey-patched) ``select`` module and
yields to other greenthreads. This package is imported before psycopg anywhere in
the project, so the choice is made here.
"""
import os

os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")
