"""The console channel (rich): shows each message in the terminal, for the demo and development."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.segment import Segment
from rich.text import Text

from engine.inputs import printable
from engine.outbox.channel import Outgoing


class SafeConsole(Console):
    """A rich console that never writes a control character it did not make itself.

    Text typed by people (a title holding ESC [31m, a bidi override …) is shown with visible
    stand-ins (:func:`engine.inputs.printable`): in plain strings before markup and measuring,
    and in every rendered segment, so ``Text`` objects are covered too. Rich's own styling
    (colours) is emitted after this and is unaffected.
    """

    def render_str(self, text: str, **kwargs: Any) -> Text:
        return super().render_str(printable(text), **kwargs)

    def render(self, renderable: Any, options: Any = None) -> Iterable[Segment]:
        for segment in super().render(renderable, options):
            if segment.control is None and segment.text:
                clean = printable(segment.text)
                if clean != segment.text:
                    segment = Segment(clean, segment.style, segment.control)
            yield segment

KIND_STYLES = {"escalation": "red", "reminder": "yellow", "summary": "cyan", "stale": "magenta"}


class ConsoleNotifier:
    """Prints a panel per message; accepts every recipient."""

    name = "console"

    def __init__(self, console: Console | None = None, *, compact: bool = False) -> None:
        self.console = console or SafeConsole(highlight=False)
        self.compact = compact

    def accepts(self, message: Outgoing) -> bool:
        return True

    async def send(self, message: Outgoing) -> str | None:
        style = KIND_STYLES.get(message.kind, "white")
        if self.compact:
            # The whole message, indented under its recipient (not just its first line).
            self.console.print(f"  [{style}]→ {escape(message.recipient_name)}[/]："
                               f"{escape(message.subject)}")
            for line in (message.text or "").splitlines():
                self.console.print(f"      {escape(line)}")
        else:
            self.console.print(Panel(message.text, title=f"致 {message.recipient_name}",
                                     border_style=style, expand=False))
        return None
