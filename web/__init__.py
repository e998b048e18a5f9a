"""The web console: a front end over the engine's services, like ``cli`` and ``bot``.

Server-rendered pages (FastAPI + Jinja2, autoescaped) with htmx for partial updates. Every read
and write goes through an engine service with the logged-in person as an
:class:`engine.org.actors.Actor` on the web channel; the engine decides what that person may see
and do, and this package only renders what it returns.
"""
