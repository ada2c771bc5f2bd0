"""Ledger register: the reform programme: task catalogues, assignments, completion and its curve."""
