"""A fake Telegram Bot API on loopback that PTB talks to over real HTTP.

It records every call, serves getUpdates with offset/timeout semantics, can inject 429
(with retry_after) and 5xx answers, delays a method, stores files for getFile and the
download route, and lets tests push updates (text, commands, buttons, media…).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

from aiohttp import web

BOT_ID = 7000001


@dataclass
class Call:
    """One request PTB made."""

    method: str
    params: Dict[str, Any]
    at: float = field(default_factory=time.monotonic)


def _decode(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class FakeTelegram:
    """The fake server's state and its aiohttp application."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.calls: List[Call] = []
        self.delivered: List[Call] = []  # calls that succeeded
        self.updates: List[Dict[str, Any]] = []
        self.confirmed = 0  # getUpdates offset: updates below it are gone
        self.files: Dict[str, bytes] = {}
        self.failures: Dict[str, List[Dict[str, Any]]] = {}
        self.delays: Dict[str, float] = {}
        self.webhook: Dict[str, Any] = {}
        self.port = 0
        self.on_delivered: Optional[Callable[[Call], None]] = None
        self._closing = False
        self._ids = itertools.count(1000)
        self._messages = itertools.count(1)
        self._new = asyncio.Condition()
        self._runner: Optional[web.AppRunner] = None

    # -- server ------------------------------------------------------------------
    async def start(self) -> None:
        """Serves on 127.0.0.1, a free port."""
        app = web.Application(client_max_size=30 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.*}", self._file)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        """Stops serving (pending long polls return first)."""
        self._closing = True
        await self._notify()
        await asyncio.sleep(0.05)
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        """PTB's `base_url` (the token is appended)."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """PTB's `base_file_url`."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    async def _params(self, request: web.Request) -> Dict[str, Any]:
        if request.content_type == "application/json":
            return await request.json()
        form = await request.post()
        params: Dict[str, Any] = {}
        for key, value in form.items():
            if isinstance(value, web.FileField):
                params[key] = {"upload": value.filename, "bytes": len(value.file.read())}
            else:
                params[key] = _decode(value)
        params.update({k: _decode(v) for k, v in request.query.items()})
        return params

    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await self._params(request)
        self.calls.append(Call(method, params))
        if self.delays.get(method):
            await asyncio.sleep(self.delays[method])
        queued = self.failures.get(method)
        if queued:
            failure = queued.pop(0)
            if failure.get("retry_after"):
                return self._error(429, "Too Many Requests: retry after "
                                   f"{failure['retry_after']}",
                                   {"retry_after": failure["retry_after"]})
            return self._error(failure["status"], "Internal Server Error")
        handler: Optional[Callable[..., Any]] = getattr(self, f"m_{method}", None)
        if handler is None:
            return self._error(404, f"Not Found: method {method}")
        result = await handler(params) if asyncio.iscoroutinefunction(handler) \
            else handler(params)
        self.delivered.append(Call(method, params))
        if self.on_delivered is not None:
            self.on_delivered(self.delivered[-1])
        return web.json_response({"ok": True, "result": result})

    def _error(self, status: int, description: str,
               parameters: Optional[Dict[str, Any]] = None) -> web.Response:
        body: Dict[str, Any] = {"ok": False, "error_code": status,
                                "description": description}
        if parameters:
            body["parameters"] = parameters
        return web.json_response(body, status=status)

    async def _file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        data = self.files.get(request.match_info["path"])
        return web.Response(body=data) if data is not None else web.Response(status=404)

    # -- methods -----------------------------------------------------------------
    def m_getMe(self, params: Dict[str, Any]) -> Dict[str, Any]:
        return {"id": BOT_ID, "is_bot": True, "first_name": "Accord",
                "username": "accord_test_bot", "can_join_groups": False,
                "can_read_all_group_messages": False, "supports_inline_queries": False}

    async def m_getUpdates(self, params: Dict[str, Any]) -> List[Dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        limit = int(params.get("limit") or 100)
        if offset:
            self.confirmed = max(self.confirmed, offset)
        deadline = time.monotonic() + min(timeout, 2.0)

        def ready() -> List[Dict[str, Any]]:
            return [u for u in self.updates if u["update_id"] >= self.confirmed][:limit]

        async with self._new:
            while not ready() and time.monotonic() < deadline and not self._closing:
                try:
                    await asyncio.wait_for(self._new.wait(), deadline - time.monotonic())
                except asyncio.TimeoutError:
                    break
        return ready()

    def m_setMyCommands(self, params: Dict[str, Any]) -> bool:
        return True

    def m_deleteWebhook(self, params: Dict[str, Any]) -> bool:
        self.webhook = {}
        return True

    def m_setWebhook(self, params: Dict[str, Any]) -> bool:
        self.webhook = dict(params)
        return True

    def m_sendChatAction(self, params: Dict[str, Any]) -> bool:
        return True

    def m_answerCallbackQuery(self, params: Dict[str, Any]) -> bool:
        return True

    def m_editMessageReplyMarkup(self, params: Dict[str, Any]) -> Dict[str, Any]:
        return self._message(int(params["chat_id"]), "…", sender=BOT_ID,
                             message_id=int(params["message_id"]))

    def m_sendMessage(self, params: Dict[str, Any]) -> Dict[str, Any]:
        message = self._message(int(params["chat_id"]), str(params["text"]), sender=BOT_ID)
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message

    def m_sendDocument(self, params: Dict[str, Any]) -> Dict[str, Any]:
        message = self._message(int(params["chat_id"]), None, sender=BOT_ID)
        message["document"] = {"file_id": "doc", "file_unique_id": "doc"}
        return message

    def m_getFile(self, params: Dict[str, Any]) -> Dict[str, Any]:
        file_id = str(params["file_id"])
        data = self.files.get(f"files/{file_id}")
        return {"file_id": file_id, "file_unique_id": file_id,
                "file_size": len(data or b""), "file_path": f"files/{file_id}"}

    # -- updates -----------------------------------------------------------------
    def _user(self, chat_id: int, language: Optional[str]) -> Dict[str, Any]:
        return {"id": chat_id, "is_bot": False, "first_name": "Test",
                **({"language_code": language} if language else {})}

    def _message(self, chat_id: int, text: Optional[str], *, sender: int,
                 language: Optional[str] = None,
                 message_id: Optional[int] = None) -> Dict[str, Any]:
        message: Dict[str, Any] = {
            "message_id": message_id or next(self._messages),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Test"},
            "from": self._user(sender, language) if sender != BOT_ID
            else self.m_getMe({}),
        }
        if text is not None:
            message["text"] = text
        return message

    def push(self, update: Dict[str, Any]) -> int:
        """Queues a raw update (with its own update_id, or a new one)."""
        update.setdefault("update_id", next(self._ids))
        self.updates.append(update)
        asyncio.get_running_loop().create_task(self._notify())
        if self.webhook.get("url"):
            asyncio.get_running_loop().create_task(self._post(update))
        return update["update_id"]

    async def _notify(self) -> None:
        async with self._new:
            self._new.notify_all()

    async def _post(self, update: Dict[str, Any]) -> None:
        import httpx

        headers = {}
        if self.webhook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook["secret_token"]
        async with httpx.AsyncClient(timeout=10) as client:
            await client.post(self.webhook["url"], json=update, headers=headers)

    def message_update(self, chat_id: int, language: Optional[str] = "fr",
                       **fields: Any) -> Dict[str, Any]:
        """An update with a user message carrying `fields`."""
        message = self._message(chat_id, None, sender=chat_id, language=language)
        message.update(fields)
        return {"update_id": next(self._ids), "message": message}

    def push_text(self, chat_id: int, text: str, language: Optional[str] = "fr") -> int:
        """A text message (a leading /command gets its entity)."""
        fields: Dict[str, Any] = {"text": text}
        if text.startswith("/"):
            fields["entities"] = [{"type": "bot_command", "offset": 0,
                                   "length": len(text.split()[0])}]
        return self.push(self.message_update(chat_id, language, **fields))

    def add_file(self, file_id: str, data: bytes) -> None:
        """A file that getFile and the download route serve."""
        self.files[f"files/{file_id}"] = data

    def push_photo(self, chat_id: int, data: bytes, *, group: Optional[str] = None,
                   language: str = "fr") -> int:
        """A photo (optionally part of an album)."""
        file_id = f"photo{next(self._ids)}"
        self.add_file(file_id, data)
        fields: Dict[str, Any] = {"photo": [{"file_id": file_id, "file_unique_id": file_id,
                                             "width": 64, "height": 48,
                                             "file_size": len(data)}]}
        if group:
            fields["media_group_id"] = group
        return self.push(self.message_update(chat_id, language, **fields))

    def push_callback(self, chat_id: int, data: str, message: Dict[str, Any],
                      language: str = "fr") -> int:
        """A button press on a message the bot sent."""
        return self.push({"callback_query": {
            "id": f"cq{next(self._ids)}", "from": self._user(chat_id, language),
            "chat_instance": "1", "data": data, "message": message}})

    def rewind(self, offset: int) -> None:
        """Forgets confirmations from `offset` on (as if the bot died before confirming)."""
        self.confirmed = min(self.confirmed, offset)

    def fail(self, method: str, *, status: int = 500, retry_after: Optional[int] = None,
             times: int = 1) -> None:
        """The next `times` calls of `method` fail (5xx, or 429 with retry_after)."""
        self.failures.setdefault(method, []).extend(
            [{"status": status, "retry_after": retry_after}] * times)

    # -- assertions helpers ----------------------------------------------------------
    def sent(self, chat_id: int, method: str = "sendMessage") -> List[Dict[str, Any]]:
        """The successful calls of `method` to one chat."""
        return [c.params for c in self.delivered
                if c.method == method and int(c.params.get("chat_id", 0)) == chat_id]

    def texts(self, chat_id: int) -> List[str]:
        """The texts delivered to one chat."""
        return [str(p["text"]) for p in self.sent(chat_id)]

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 30.0) -> Any:
        """Waits until `predicate()` is truthy; fails the test after `timeout` s."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            await asyncio.sleep(0.05)
        raise AssertionError("condition not reached in time")
