"""Ledger register: key supply inputs, their suppliers and concentration."""
