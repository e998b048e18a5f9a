"""The 15:00 scheduling summary (每日调度): the figures for the whole and each leader's scope,
and the summary a reader may see (``build``), rendering as Telegram HTML, plain text and Markdown
(``render``; the terminal's tables are the CLI's), and the daily run that saves the report and
queues it to leaders and the office, at most once a day when scheduled (``daily``).
"""
