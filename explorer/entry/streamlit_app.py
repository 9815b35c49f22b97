"""Packaged copy of the root main script, for `dl-explorer` from a non-editable install."""
from explorer.app import main

main()
