"""Links from a message to the console's page about it (``DUBAN_PUBLIC_URL``).

The console's public address belongs to the deployment, not to the database: the engine never
reads it from the environment; whoever runs the dispatcher passes it in, and the link is added
when a message is sent, so that rows queued before the address was set (or changed) carry the
current one.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from urllib.parse import quote

from engine.values import OutboxKind


def task_url(public_url: str, code: str) -> str:
    """``{public_url}/tasks/{code}``: the task's page in the console."""
    return f"{public_url.rstrip('/')}/tasks/{quote(code, safe='')}"


def summary_url(public_url: str) -> str:
    """The console's 每日调度 page."""
    return f"{public_url.rstrip('/')}/summary"


@dataclass(frozen=True)
class Link:
    url: str
    label: str

    def text_line(self) -> str:
        return f"网页查看：{self.url}"

    def html_line(self) -> str:
        return f'<a href="{escape(self.url, quote=True)}">{escape(self.label)}</a>'


def message_link(public_url: str | None, *, kind: str, task_code: str | None) -> Link | None:
    """The link a message of ``kind`` about ``task_code`` carries, or None (no public address,
    or a message about no task and no page)."""
    if not public_url:
        return None
    if task_code is not None:
        return Link(task_url(public_url, task_code), f"在网页中查看 {task_code}")
    if kind == OutboxKind.SUMMARY.value:
        return Link(summary_url(public_url), "在网页中查看每日调度")
    return None


def with_link(text: str, html: str | None, link: Link | None) -> tuple[str, str | None]:
    """``text`` and ``html`` with the link as their last line (unchanged without a link)."""
    if link is None:
        return text, html
    return f"{text}\n{link.text_line()}", (f"{html}\n{link.html_line()}" if html is not None
                                           else None)
