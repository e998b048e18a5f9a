"""Reads for every front end, each taking the reader (an Actor) and returning only what they may
see, as the public schemas of ``schemas``: task lists with filters, sorts and keyset pages
(``tasks``, ``filters``) and their saved views (``views``), the per-unit board (``tasks``), one
task in full (``detail``) and a directive's 批示 → 跟批 tree (``directives``).
"""
