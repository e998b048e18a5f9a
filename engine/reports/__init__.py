"""Documents out and in: the Excel ledger (督办台账), the Excel task-list import (任务清单) and the
monthly bulletin (情况通报).

- :mod:`engine.reports.ledger` — ``export_ledger``: tasks → .xlsx, streamed in batches;
- :mod:`engine.reports.importer` — ``import_task_list``: .xlsx → tasks, all rows or none;
- :mod:`engine.reports.bulletin` — ``build_bulletin`` / ``render_markdown``, and
  :mod:`engine.reports.bulletin_docx` — ``write_docx``.

Nothing is imported here so that ``import engine.reports`` costs nothing: openpyxl and
python-docx are loaded only by the module that needs them.
"""
