"""The 15:00 scheduling summary (每日调度): the figures for the whole and each leader's scope
(``build``), rendering as terminal table, HTML and Markdown (``render``), and the daily run that
saves the report and queues it to leaders and the office (``daily``).
"""
