"""Evidence files (销号材料): receiving, checking, storing, attaching and reading them back.

::

    Upload (a stream + the name it was given, from the bot, the CLI or the web console)
      └─ ingest.store_uploads ── scan (hash, size limits, head/tail, markers; spooled if the
           │                     stream cannot seek) ── sniff (type from the content) ──
           │                     checks / ooxml (truncated? executable inside?) ── names
           └─ store.DatabaseBlobStore (chunks in the database, once per SHA-256)
      └─ attach.attach_files (attachment rows; the audit entry lists hash, size, type, name)
    access (who may read a file; listings for views; streaming a file back out)

Nothing here commits: the services that receive files (progress, completion, extension,
directive) do, so a refused or broken upload leaves the database as it was.
"""
