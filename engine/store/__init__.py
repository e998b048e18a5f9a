"""Storage: engines and sessions (``db``), the Alembic schema (``schema``), the one transaction
wrapper every write service uses (``service``), leases and once-only fire keys (``lease``), human
task codes (``codes``), the stored policy and the calendar built from it (``policy``), typed ids,
and simulation databases — the only ones that accept a moved clock (``mode``).

Nothing is imported here, so importing a submodule costs only what that submodule needs.
"""
