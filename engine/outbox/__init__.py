"""Notifications: the outbox table's queue with de-duplication keys and quiet hours (``queue``),
who receives what (``recipients``), message text and buttons (``messages``), messages caused by
lifecycle events (``notify``), delivery with claims, retries and back-off (``dispatch``), the
channel protocol every notifier implements (``channel``), and the outbox as the office reads it
(``views``).
"""
