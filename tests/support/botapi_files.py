"""Files in the Bot API stub, as the real Bot API handles them.

Incoming: ``push_photo`` / ``push_document`` / ``push_album`` queue user messages carrying a
photo (several ``PhotoSize`` entries, largest last), a document (``file_name``, ``mime_type``,
``file_size``), a caption, a ``media_group_id`` shared by an album's items (each its own update,
the caption on the first only, as Telegram does) and optionally ``reply_to_message``.

``getFile`` answers ``file_id``, ``file_unique_id``, ``file_size`` and ``file_path``, refusing
files over 20 MB ("file is too big") like the real Bot API; the content is then served at
``GET /file/bot<token>/<file_path>`` (``truncate_download`` makes one download stop early, the
connection closing before the promised ``Content-Length``). ``downloads`` lists what was fetched.

Outgoing: ``sendPhoto``, ``sendDocument`` and ``sendMediaGroup`` take an upload (multipart,
also ``attach://name``) or a ``file_id`` the bot may use (a file it received or sent); an
unknown id is refused ("wrong file identifier"), a document's id given to ``sendPhoto`` too
("type of file mismatch"), a photo upload over 10 MB ("file is too big"). Every file sent gets
a ``file_id`` of its own; ``file_content(file_id)`` gives its bytes.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

MAX_DOWNLOAD = 20 * 1024 * 1024
MAX_PHOTO_UPLOAD = 10 * 1024 * 1024
THUMBNAIL = b"\xff\xd8\xff\xe0 stub thumbnail, not a whole image"


@dataclass(frozen=True)
class StubFile:
    file_id: str
    unique_id: str
    kind: str  # "photo" | "document"
    content: bytes
    path: str
    name: str | None = None
    mime_type: str | None = None


@dataclass(frozen=True)
class SentPhoto:
    """A photo the bot sent (``sendPhoto`` or a photo of ``sendMediaGroup``)."""

    chat_id: int
    file_id: str
    uploaded: bool
    caption: str | None
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    message_id: int
    at: float
    media_group_id: str | None = None
    timed_out: bool = False


class FilesMixin:
    """The file half of :class:`tests.support.botapi_stub.BotApiStub` (see module docstring)."""

    if TYPE_CHECKING:  # provided by BotApiStub
        token: str
        _cond: threading.Condition
        _messages: dict[int, Any]

        _clock: Callable[[], float]
        def _api_error(self, status: int, description: str) -> Exception: ...
        def _chat_param(self, params: dict[str, Any]) -> int: ...
        def _json_param(self, value: Any, name: str) -> Any: ...
        def _caption_params(self, params: dict[str, Any]) -> tuple[
            str | None, str | None, dict[str, Any] | None]: ...
        def _check_chat(self, chat_id: int) -> None: ...
        def _rate_limit(self, method: str, chat_id: int, arrived_at: float,
                        fingerprint: str) -> None: ...
        def _store_bot_message(self, chat_id: int, caption: str | None, parse_mode: str | None,
                               markup: dict[str, Any] | None) -> Any: ...
        def _record_document(self, chat_id: int, stored_file: Any, uploaded: bool,
                             caption: str | None, parse_mode: str | None,
                             markup: dict[str, Any] | None, group: str | None = None
                             ) -> dict[str, Any]: ...
        def _message_json(self, stored: Any, plain: bool = True) -> dict[str, Any]: ...
        def _push_user_message(self, chat_id: int, text: str | None, caption: str | None,
                               extra: dict[str, Any] | None, from_id: int | None = None,
                               username: str | None = None) -> dict[str, Any]: ...

    def _init_files(self) -> None:
        self._files: dict[str, StubFile] = {}
        self._paths: dict[str, str] = {}
        self._photos: list[SentPhoto] = []
        self._downloads: list[str] = []
        self._truncate: dict[str, int] = {}
        self._next_file = 1
        self._next_group = 1

    # ------------------------------------------------------------------ recorded state

    @property
    def photos(self) -> list[SentPhoto]:
        with self._cond:
            return list(self._photos)

    @property
    def downloads(self) -> list[str]:
        """``file_id`` of every file downloaded, in order."""
        with self._cond:
            return list(self._downloads)

    def file_content(self, file_id: str) -> bytes:
        with self._cond:
            return self._files[file_id].content

    def truncate_download(self, file_id: str, size: int) -> None:
        """The next download of ``file_id`` (``"*"``: of any file) sends ``size`` bytes, then
        closes the connection before the promised length."""
        with self._cond:
            self._truncate[file_id] = size

    # ------------------------------------------------------------------ files

    def add_file(self, content: bytes, kind: str, name: str | None = None,
                 mime_type: str | None = None) -> StubFile:
        with self._cond:
            number = self._next_file
            self._next_file += 1
            suffix = (name or "").rpartition(".")[2] if name and "." in name else "jpg"
            folder = "photos" if kind == "photo" else "documents"
            stored = StubFile(f"{kind[:3].upper()}{number:06d}-file-id", f"u{number}", kind,
                              content, f"{folder}/file_{number}.{suffix}", name, mime_type)
            self._files[stored.file_id] = stored
            self._paths[stored.path] = stored.file_id
            return stored

    def _photo_json(self, stored: StubFile) -> list[dict[str, Any]]:
        thumb = self.add_file(THUMBNAIL, "photo")
        return [{"file_id": thumb.file_id, "file_unique_id": thumb.unique_id, "width": 90,
                 "height": 67, "file_size": len(THUMBNAIL)},
                {"file_id": stored.file_id, "file_unique_id": stored.unique_id, "width": 1280,
                 "height": 960, "file_size": len(stored.content)}]

    @staticmethod
    def _document_json(stored: StubFile) -> dict[str, Any]:
        data: dict[str, Any] = {"file_id": stored.file_id, "file_unique_id": stored.unique_id,
                                "file_size": len(stored.content)}
        if stored.name:
            data["file_name"] = stored.name
        data["mime_type"] = stored.mime_type or "application/octet-stream"
        return data

    # ------------------------------------------------------------------ incoming

    def push_photo(self, chat_id: int, content: bytes, *, caption: str | None = None,
                   media_group_id: str | None = None, reply_to: int | None = None,
                   from_id: int | None = None) -> dict[str, Any]:
        """Queue a photo from a user; returns the update (``["message"]["photo"]``)."""
        stored = self.add_file(content, "photo")
        return self._push_media(chat_id, {"photo": self._photo_json(stored)}, caption,
                                media_group_id, reply_to, from_id)

    def push_document(self, chat_id: int, content: bytes, file_name: str | None, *,
                      mime_type: str | None = None, caption: str | None = None,
                      media_group_id: str | None = None, reply_to: int | None = None,
                      from_id: int | None = None) -> dict[str, Any]:
        """Queue a document from a user; returns the update."""
        stored = self.add_file(content, "document", file_name, mime_type)
        return self._push_media(chat_id, {"document": self._document_json(stored)}, caption,
                                media_group_id, reply_to, from_id)

    def push_album(self, chat_id: int, items: list[tuple[str, bytes, str | None]], *,
                   caption: str | None = None) -> list[dict[str, Any]]:
        """Queue an album: ``items`` of (``"photo"``/``"document"``, content, file name), one
        update each with the same ``media_group_id``, the caption on the first."""
        with self._cond:
            group = f"{int(time.time())}{self._next_group:04d}"
            self._next_group += 1
        updates = []
        for index, (kind, content, name) in enumerate(items):
            text = caption if index == 0 else None
            if kind == "photo":
                updates.append(self.push_photo(chat_id, content, caption=text,
                                               media_group_id=group))
            else:
                updates.append(self.push_document(chat_id, content, name, caption=text,
                                                  media_group_id=group))
        return updates

    def _push_media(self, chat_id: int, media: dict[str, Any], caption: str | None,
                    media_group_id: str | None, reply_to: int | None,
                    from_id: int | None) -> dict[str, Any]:
        extra = dict(media)
        if media_group_id is not None:
            extra["media_group_id"] = media_group_id
        if reply_to is not None:
            with self._cond:
                replied = self._messages.get(reply_to)
                if replied is None:
                    raise ValueError(f"message {reply_to} not found")
                extra["reply_to_message"] = self._message_json(replied)
        return self._push_user_message(chat_id, None, caption, extra, from_id)

    # ------------------------------------------------------------------ getFile / download

    def _h_get_file(self, request: Any) -> dict[str, Any]:
        file_id = request.params.get("file_id")
        with self._cond:
            stored = self._files.get(file_id) if isinstance(file_id, str) else None
            if stored is None:
                raise self._api_error(400, "Bad Request: invalid file_id")
            if len(stored.content) > MAX_DOWNLOAD:
                raise self._api_error(400, "Bad Request: file is too big")
            return {"file_id": stored.file_id, "file_unique_id": stored.unique_id,
                    "file_size": len(stored.content), "file_path": stored.path}

    def _download(self, path: str) -> tuple[int, bytes, int]:
        """(status, body, promised length) for ``GET /file/bot<token>/<path>``."""
        from urllib.parse import unquote

        path, prefix = unquote(path), f"/file/bot{self.token}/"
        if not path.startswith(prefix):
            return 404, b"Not Found", 9
        with self._cond:
            file_id = self._paths.get(path[len(prefix):])
            if file_id is None:
                return 404, b"Not Found", 9
            self._downloads.append(file_id)
            content = self._files[file_id].content
            cut = self._truncate.pop(file_id, None)
            if cut is None:
                cut = self._truncate.pop("*", None)
            self._cond.notify_all()
        return 200, content if cut is None else content[:cut], len(content)

    # ------------------------------------------------------------------ sending files

    def _resolve_media(self, request: Any, value: Any, field: str, kind: str,
                       name: str | None = None) -> tuple[StubFile, bool]:
        """The file a send refers to: an upload (new file id) or a usable ``file_id``."""
        upload = request.files.get(field)
        if upload is None and isinstance(value, str) and value.startswith("attach://"):
            upload = request.files.get(value[len("attach://"):])
        if upload is not None:
            if kind == "photo" and len(upload.content) > MAX_PHOTO_UPLOAD:
                raise self._api_error(400, "Bad Request: file is too big")
            return self.add_file(upload.content, kind, name or upload.filename,
                                 upload.content_type), True
        if not isinstance(value, str) or not value:
            raise self._api_error(400, f"Bad Request: there is no {kind} in the request")
        with self._cond:
            stored = self._files.get(value)
        if stored is None:
            raise self._api_error(400, "Bad Request: wrong file identifier/HTTP URL specified")
        if stored.kind != kind and kind == "photo":
            raise self._api_error(400, "Bad Request: type of file mismatch")
        return stored, False

    def _h_send_photo(self, request: Any) -> dict[str, Any]:
        params = request.params
        chat_id = self._chat_param(params)
        caption, parse_mode, markup = self._caption_params(params)
        stored, uploaded = self._resolve_media(request, params.get("photo"), "photo", "photo")
        with self._cond:
            self._check_chat(chat_id)
            self._rate_limit(request.method, chat_id, request.arrived_at,
                             f"{chat_id}\x00photo:{stored.unique_id}:{caption}")
            return self._record_photo(chat_id, stored, uploaded, caption, parse_mode, markup)

    def _record_photo(self, chat_id: int, stored: StubFile, uploaded: bool, caption: str | None,
                      parse_mode: str | None, markup: dict[str, Any] | None,
                      group: str | None = None) -> dict[str, Any]:
        message = self._store_bot_message(chat_id, caption, parse_mode, markup)
        self._photos.append(SentPhoto(chat_id, stored.file_id, uploaded, caption, parse_mode,
                                      markup, message.message_id, self._clock(), group))
        self._cond.notify_all()
        result: dict[str, Any] = self._message_json(message)
        result["photo"] = self._photo_json(stored)
        if group:
            result["media_group_id"] = group
        return result

    def _h_send_media_group(self, request: Any) -> list[dict[str, Any]]:
        params = request.params
        chat_id = self._chat_param(params)
        media = self._json_param(params.get("media"), "media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise self._api_error(400, "Bad Request: wrong number of media in the group")
        resolved = []
        for item in media:
            kind = item.get("type") if isinstance(item, dict) else None
            if kind not in ("photo", "document"):
                raise self._api_error(400, "Bad Request: unsupported media type in the group")
            resolved.append((item, *self._resolve_media(request, item.get("media"), "", kind)))
        with self._cond:
            self._check_chat(chat_id)
            self._rate_limit(request.method, chat_id, request.arrived_at,
                             f"{chat_id}\x00group:{json.dumps(media, sort_keys=True)}")
            group = f"g{self._next_group}"
            self._next_group += 1
            out = []
            for item, stored, uploaded in resolved:
                caption, mode = item.get("caption"), item.get("parse_mode")
                if item["type"] == "photo":
                    out.append(self._record_photo(chat_id, stored, uploaded, caption, mode, None,
                                                  group))
                else:
                    out.append(self._record_document(chat_id, stored, uploaded, caption, mode,
                                                     None, group))
            return out
