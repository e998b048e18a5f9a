"""The organisation and who acts in it: the acting party of every request — a person through a
channel, the CLI operator, the system (``actors``); units and people added one by one or loaded
from the org file (``setup``); looking them up by code, name, alias or "given name + title"
(``directory``, ``naming``); binding Telegram chats with one-time codes (``binding``); who may
do what (``permissions``) and who may see which task (``visibility``).
"""
