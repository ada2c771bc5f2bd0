"""Guozi (国资): supervision of state-owned enterprises for state-asset supervisors."""

__version__ = "0.1.0"
