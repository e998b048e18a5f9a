"""The organisation: units and people added one by one or loaded from the org file (``setup``),
looking them up by code, name, alias or "given name + title" (``directory``, ``naming``), binding
Telegram chats with one-time codes (``binding``), and who may do what (``permissions``).
"""
