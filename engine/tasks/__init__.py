"""Directives and tasks, the write side of the domain: the status table and the one function that
changes status (``lifecycle``), directives and their 批示 → 跟批 lineage (``directives``), creating
and assigning tasks (``creation``), correcting and completing tasks (``editing``), what units and the office do
(``actions``: 签收, 反馈, 申请办结, 审核销号, 退回, 撤销), extensions (``extensions``), 回头看
(``rechecks``), and the hash-chained audit trail written with every change (``audit``).

Every public service is keyword-only, takes the acting person and ``now``, checks everything
before it writes, and commits the whole call or nothing (``engine.store.service``).
"""
