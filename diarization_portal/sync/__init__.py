"""Vendor sync: provider accounts, job submit/poll/import, webhooks, member pushes (DESIGN §4)."""
