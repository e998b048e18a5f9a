"""The console channel (rich): shows each message in the terminal, for the demo and development."""

from __future__ import annotations

from rich.console import Console
from rich.panel import Panel

from engine.outbox.channel import Outgoing

KIND_STYLES = {"escalation": "red", "reminder": "yellow", "summary": "cyan", "stale": "magenta"}


class ConsoleNotifier:
    """Prints a panel per message; accepts every recipient."""

    name = "console"

    def __init__(self, console: Console | None = None, *, compact: bool = False) -> None:
        self.console = console or Console(highlight=False)
        self.compact = compact

    def accepts(self, message: Outgoing) -> bool:
        return True

    async def send(self, message: Outgoing) -> str | None:
        style = KIND_STYLES.get(message.kind, "white")
        if self.compact:
            first = message.text.splitlines()[0] if message.text else message.subject
            self.console.print(f"  [{style}]→ {message.recipient_name}[/]：{first}")
        else:
            self.console.print(Panel(message.text, title=f"致 {message.recipient_name}",
                                     border_style=style, expand=False))
        return None
