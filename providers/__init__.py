"""Vendor clients and file-format parsers.

Plain Python + ``requests``: nothing in this package imports Django. Every parser and client
turns vendor JSON or files into the dataclasses of :mod:`providers.types` and raises the errors
defined there.
"""
