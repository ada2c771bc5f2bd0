"""Ledger register: production-safety incidents, graded per State Council Order No. 493."""
