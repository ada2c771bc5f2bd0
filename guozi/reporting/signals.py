"""Signals other apps listen to, so that reporting never imports them."""

from django.dispatch import Signal

# Sent after reports of one form and period changed state or values (approved, returned,
# reopened, revised, imported): keyword arguments `form_id`, `period` (text) and
# `states` (the states the changed reports now have).
reports_changed = Signal()
