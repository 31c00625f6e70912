"""How the site is served: gunicorn's asyncio (`asgi`) worker takes the connections, so a slow client
costs a coroutine, not a worker; Django runs behind it exactly as under a WSGI server, one request at a
time in one thread per worker process.

- `WsgiBehindAsgi` (digitsite.asgi) reads each request's whole body on the event loop, within
  REQUEST_BODY_SECONDS and DATA_UPLOAD_MAX_MEMORY_SIZE (a chunked body is read and given its length),
  then runs Django's WSGI handler in the worker's Django thread. Django's own ASGI handler would cost
  about twice the CPU per request (a thread and a database connection per request).
- `BoundedASGIWorker` (gunicorn.conf.py's worker_class) is gunicorn's asgi worker with a deadline for
  request headers (REQUEST_HEADER_SECONDS): gunicorn 27 waits for a connection's first headers for ever.

A client too slow for either deadline is answered 408 with a JSON sentence and the connection closed.
The worker relies on private hooks of gunicorn 27.0.1's ASGIProtocol: requirements/web.txt pins
gunicorn, and tests/hardening/test_served_live.py shows the deadlines hold with 50 slow clients.
"""

import asyncio
import io
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from gunicorn.asgi.protocol import ASGIProtocol
from gunicorn.workers import gasgi

from digitsite import memory


def require_secret_key():
    """Stop a server that has no DJANGO_SECRET_KEY (debug off), saying why: it never starts, or signs
    anything, without one. Called by the entry points, once the settings are named."""
    if settings.MISSING_SECRET_KEY:
        raise ImproperlyConfigured(settings.MISSING_SECRET_KEY)


LINGER_SECONDS = 2  # after a 413, how long to keep reading what the client still sends...
LINGER_BYTES = 16 * 2**20  # ...and how much of it


def json_refusal(status, detail, code):
    """(status, headers, body) of a JSON refusal `{"detail", "code"}` that closes the connection."""
    body = json.dumps({"detail": detail, "code": code}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    return status, headers, body


def body_too_large():
    megabytes = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 2**20
    return json_refusal(413, f"The request body is larger than {megabytes:g} MB.", "request_too_large")


def body_too_slow():
    seconds = settings.REQUEST_BODY_SECONDS
    return json_refusal(
        408, f"The request body did not arrive in full within {seconds:g} seconds.", "request_timeout"
    )


class WsgiBehindAsgi:
    """An ASGI application that serves a WSGI one (Django's) from one thread of its own per process."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self._executor = None
        self._executor_pid = None

    def executor(self):
        """The Django thread of this process (made after gunicorn forks the worker)."""
        if self._executor_pid != os.getpid():
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="django")
            self._executor_pid = os.getpid()
        return self._executor

    def call_in_django_thread(self, function):
        """Run `function()` in the Django thread and return its result (e.g. to load the model before
        the first request, with the database connection requests will use)."""
        return self.executor().submit(function).result()

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                stage = (await receive())["type"].rsplit(".", 1)[-1]  # startup, shutdown
                await send({"type": f"lifespan.{stage}.complete"})
                if stage == "shutdown":
                    return
        if scope["type"] != "http":
            raise ValueError(f"{scope['type']} connections are not served")
        body = await self.read_body(scope, receive)
        if isinstance(body, tuple):  # a refusal
            await self.respond(send, *body)
            if body[0] == 413:
                await discard_rest_of_body(receive)
            return
        environ = wsgi_environ(scope, body)
        loop = asyncio.get_running_loop()
        response = await loop.run_in_executor(self.executor(), self.run_wsgi_app, environ)
        await self.respond(send, *response)

    async def read_body(self, scope, receive):
        """The whole request body, or a refusal: 413 over the size limit (from Content-Length when it
        says so, before reading), 408 when it does not arrive within REQUEST_BODY_SECONDS."""
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    return json_refusal(400, "The Content-Length header is not a number.", "parse_error")
                if declared > limit:
                    return body_too_large()
        body = bytearray()
        deadline = asyncio.get_running_loop().time() + settings.REQUEST_BODY_SECONDS
        while True:
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                return body_too_slow()
            if message["type"] == "http.disconnect":  # gone, or silent for gunicorn's whole timeout
                return body_too_slow()
            body += message.get("body", b"")
            if len(body) > limit:
                return body_too_large()
            if not message.get("more_body", False):
                return bytes(body)

    def run_wsgi_app(self, environ):
        """In the Django thread: the WSGI app's whole response as (status, headers, body). A request
        that grew this process a lot (a huge image) gives that memory back afterwards."""
        resident_before = memory.resident_bytes()
        started = []

        def start_response(status, headers, exc_info=None):
            started[:] = [status, headers]
            return chunks.append

        chunks = []
        result = self.wsgi_app(environ, start_response)
        try:
            chunks.extend(chunk for chunk in result if chunk)
        finally:
            if hasattr(result, "close"):
                result.close()
        status, headers = started
        memory.release_if_grown(resident_before=resident_before)
        return (
            int(status.split(" ", 1)[0]),
            [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers],
            b"".join(chunks),
        )

    @staticmethod
    async def respond(send, status, headers, body):
        try:
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
        except OSError:  # the client has gone
            pass


async def discard_rest_of_body(receive):
    """After refusing a body as too large, read (and drop) what the client is still sending, for a
    moment, before the connection closes: closed with unread bytes, it would be reset, and a client
    still sending would never read the answer (a "lingering close", as nginx does)."""
    deadline = asyncio.get_running_loop().time() + LINGER_SECONDS
    discarded = 0
    while discarded < LINGER_BYTES:
        try:
            async with asyncio.timeout_at(deadline):
                message = await receive()
        except TimeoutError:
            return
        if message["type"] == "http.disconnect" or not message.get("more_body", False):
            return
        discarded += len(message.get("body", b""))


def wsgi_environ(scope, body):
    """The WSGI environ (PEP 3333) of an ASGI HTTP request whose whole body is `body`."""
    server = scope.get("server") or ("localhost", 80)
    client = scope.get("client") or ("", 0)
    root_path = scope.get("root_path", "")
    path = scope["path"]
    if root_path and path.startswith(root_path):
        path = path[len(root_path) :]
    environ = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": root_path.encode("utf-8").decode("latin-1"),
        "PATH_INFO": path.encode("utf-8").decode("latin-1"),
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1] if server[1] is not None else 80),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "REMOTE_ADDR": client[0],
        "REMOTE_PORT": str(client[1]),
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for name, value in scope["headers"]:
        key = name.decode("latin-1").upper().replace("-", "_")
        if key in ("CONTENT_LENGTH", "TRANSFER_ENCODING"):
            continue  # the body is whole: its length is known
        if key != "CONTENT_TYPE":
            key = f"HTTP_{key}"
        text = value.decode("latin-1")
        environ[key] = f"{environ[key]},{text}" if key in environ else text
    return environ


class ChunkedBodies:
    """For WSGI servers (digitsite.wsgi): a chunked request body, which a WSGI app sees without a
    length (and Django then as no body at all), is read and given its length when the server has
    de-chunked it (wsgi.input_terminated, as gunicorn does); otherwise it is refused with a 411 that
    says to send Content-Length. Bodies with a length pass through untouched."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if (
            environ.get("CONTENT_LENGTH")
            or "chunked" not in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        ):
            return self.wsgi_app(environ, start_response)
        if not environ.get("wsgi.input_terminated"):
            refusal = json_refusal(
                411,
                "This server cannot read a chunked request body: send the body with a Content-Length header.",
                "length_required",
            )
        else:
            body = environ["wsgi.input"].read(settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
            if len(body) <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
                environ = {**environ, "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body)}
                return self.wsgi_app(environ, start_response)
            refusal = body_too_large()
        status, headers, body = refusal
        reason = {411: "Length Required", 413: "Content Too Large"}[status]
        start_response(
            f"{status} {reason}",
            [(name.decode("latin-1"), value.decode("latin-1")) for name, value in headers],
        )
        return [body]


# The worker ----------------------------------------------------------------------------------------


class HeaderDeadlineProtocol(ASGIProtocol):
    """gunicorn's ASGI connection, answering 408 (JSON) and closing when request headers are not
    complete within REQUEST_HEADER_SECONDS of the connection opening or of the previous response."""

    _header_timer = None
    _header_seconds = 10.0
    _too_slow = b""

    @classmethod
    def configure(cls, header_seconds):
        cls._header_seconds = header_seconds
        status, headers, body = json_refusal(
            408, f"The request headers did not arrive within {header_seconds:g} seconds.", "request_timeout"
        )
        head = b"".join(name + b": " + value + b"\r\n" for name, value in headers)
        cls._too_slow = b"HTTP/1.1 408 Request Timeout\r\n" + head + b"\r\n" + body

    def _arm_header_timer(self):
        self._cancel_header_timer()
        self._header_timer = self.worker.loop.call_later(self._header_seconds, self._headers_too_slow)

    def _cancel_header_timer(self):
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def connection_made(self, transport):
        super().connection_made(transport)
        self._arm_header_timer()

    def _on_headers_complete(self):
        self._cancel_header_timer()
        return super()._on_headers_complete()

    def _arm_keepalive_timer(self):
        # Waiting for the next request on a kept-alive connection: its headers get the same deadline.
        super()._arm_keepalive_timer()
        self._arm_header_timer()

    def connection_lost(self, exc):
        self._cancel_header_timer()
        super().connection_lost(exc)

    def eof_received(self):
        """The client will send nothing more (it shut down its side) but may still read: a request
        under way still gets its answer (gunicorn 27 would close the connection at once). Its body, if
        not complete, never will be."""
        if self._current_request is None:
            return False  # between requests: close
        receiver = self._body_receiver
        if receiver is not None and not receiver._complete:
            receiver.signal_disconnect()
        return True  # keep the way back open

    def _headers_too_slow(self):
        self._header_timer = None
        if self._closed:
            return
        self._safe_write(self._too_slow)
        self._close_transport()
        if self._request_ready is not None:
            self._request_ready.set()  # wake the connection's loop, so it sees the close


class BoundedASGIWorker(gasgi.ASGIWorker):
    """gunicorn's asgi worker, its connections held to the header deadline (HeaderDeadlineProtocol)."""

    def init_process(self):
        # gunicorn 27.0.1 caches the C parser's features on the class it is asked from but reads them
        # from ASGIProtocol itself: ask the base class first, or a subclass silently parses in Python.
        ASGIProtocol._check_h1c_protocol_available()
        HeaderDeadlineProtocol.configure(settings.REQUEST_HEADER_SECONDS)
        gasgi.ASGIProtocol = HeaderDeadlineProtocol  # what the worker builds each connection from
        super().init_process()
