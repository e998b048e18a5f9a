"""Reads for every front end: task lists and the per-unit board (``tasks``) and one task in full
(``detail``).
"""
