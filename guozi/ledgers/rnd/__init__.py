"""Ledger register: key R&D and core-technology projects."""
