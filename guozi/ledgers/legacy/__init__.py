"""Ledger register: legacy problems (历史遗留问题)."""
