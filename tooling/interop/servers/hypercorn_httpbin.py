#!/usr/bin/python3
"""httpbin served by hypercorn over TLS, offering ALPN h2 and http/1.1.

The second, independent HTTP/2 peer of the nq interop suite: hypercorn's HTTP/2 is
python-h2 on asyncio, nothing shared with caddy's Go net/http. Debian's hypercorn 0.13
runs ASGI apps only (WSGI in its command line came with 0.14), so httpbin's WSGI app is
wrapped in hypercorn's own ``AsyncioWSGIMiddleware``, which reads the whole request body,
runs the app in a thread and sends the whole response body at once.

Usage: hypercorn_httpbin.py CERT_CHAIN KEY ACCESS_LOG

Binds 127.0.0.1 port 0 itself (the kernel picks a free port, so nothing races for it),
hands the socket to hypercorn as ``fd://`` and prints ``listening on 127.0.0.1:<port>``.
The access log has one line per request, ending ``access <client ip>:<client port> <method>
<path?query> <http version> <status>``, so the tests count the TCP connections the server saw.

Run it with Debian's interpreter: ``/usr/bin/python3``.
"""

import asyncio
import signal
import socket
import sys

import httpbin
from hypercorn.asyncio import serve
from hypercorn.config import Config
from hypercorn.middleware import AsyncioWSGIMiddleware

# The middleware answers 400 above this; uploads in the suite stay far below it.
MAX_BODY_SIZE = 64 * 1024 * 1024


def main():
    chain, key, access_log = sys.argv[1:4]
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]

    config = Config()
    # detach(): hypercorn opens its own socket object on the descriptor; this one must not
    # close it when it is collected.
    config.bind = ["fd://%d" % sock.detach()]
    config.certfile = chain
    config.keyfile = key
    config.alpn_protocols = ["h2", "http/1.1"]
    config.accesslog = access_log
    # After hypercorn's "[time] [pid] [INFO] " prefix; the access logger logs at INFO.
    config.access_log_format = "access %(h)s %(m)s %(U)s?%(q)s %(H)s %(s)s"
    config.errorlog = "-"
    config.loglevel = "INFO"
    config.graceful_timeout = 1

    shutdown = asyncio.Event()

    async def run():
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, shutdown.set)
        print("listening on 127.0.0.1:%d" % port, flush=True)
        await serve(
            AsyncioWSGIMiddleware(httpbin.app, max_body_size=MAX_BODY_SIZE),
            config,
            shutdown_trigger=shutdown.wait,
        )

    asyncio.run(run())


if __name__ == "__main__":
    main()
