#!/usr/bin/python3
"""The Python Requests oracle of the nq interop suite.

Reads a JSON array of call specs on stdin, performs each with a fresh
``requests.Session()`` and prints a JSON array of observations on stdout, one
per spec, in the shape ``src/observation.ts`` describes. The observation records
what Requests did (status, final URL, history, headers, decoded text, parsed
JSON, body digest, links, the exception class) without masking anything: the
masking of what legitimately differs between the two clients happens once, in
TypeScript (``src/normalise.ts``), for both sides alike.

Run it with Debian's interpreter and python3-requests: ``/usr/bin/python3``.
"""

import base64
import hashlib
import json
import os
import re
import sys

import requests
from requests.adapters import HTTPAdapter
from requests.auth import HTTPDigestAuth
from urllib3.util.retry import Retry

# Bodies of these media types are compared as text; others by digest only, because
# Requests guesses the charset of undeclared binary with chardet and nq with its own
# detector, so `text` of random bytes legitimately differs.
TEXTUAL = re.compile(
    r"^\s*(text/|application/([\w.+-]*\+)?(json|xml|javascript|x-www-form-urlencoded)\b)", re.I
)
JSON_TYPE = re.compile(r"^\s*application/([\w.+-]*\+)?json\b", re.I)


def to_bytes(value):
    """A spec's content: text as it is, or ``{"base64": ...}`` for bytes."""
    if isinstance(value, dict) and "base64" in value:
        return base64.b64decode(value["base64"])
    return value


def to_files(files):
    if files is None:
        return None
    pairs = files.items() if isinstance(files, dict) else files
    out = []
    for field, spec in pairs:
        if isinstance(spec, list):
            spec = list(spec)
            spec[1] = to_bytes(spec[1])
            out.append((field, tuple(spec)))
        else:
            out.append((field, to_bytes(spec)))
    return out


def to_data(data):
    if isinstance(data, list):
        return [tuple(pair) for pair in data]
    return to_bytes(data)


def to_params(params):
    if isinstance(params, list):
        return [tuple(pair) for pair in params]
    return params


def digest(content):
    return {"length": len(content), "sha256": hashlib.sha256(content).hexdigest()}


def observe_body(response, spec):
    content_type = response.headers.get("content-type", "")
    read = spec.get("read", "content")
    body = {"length": None, "sha256": None, "text": None, "json": None, "lines": None, "chunkLengths": None}
    if read == "lines":
        encoding = response.encoding or "utf-8"
        body["lines"] = [line.decode(encoding) for line in response.iter_lines()]
        return body
    if read == "chunks":
        chunks = list(response.iter_content(chunk_size=spec.get("chunkSize")))
        body["chunkLengths"] = [len(chunk) for chunk in chunks]
        body.update(digest(b"".join(chunks)))
        return body
    content = response.content
    body.update(digest(content))
    if content and TEXTUAL.match(content_type):
        body["text"] = response.text
    if spec.get("decodeJson") or (content and JSON_TYPE.match(content_type)):
        try:
            body["json"] = {"value": response.json()}
        except ValueError as error:
            body["json"] = {"error": type(error).__name__}
    return body


def observe_error(error):
    response = getattr(error, "response", None)
    return {
        "type": type(error).__name__,
        "message": str(error),
        "responseStatus": response.status_code if response is not None else None,
    }


def observe_response(response, spec):
    observed = {
        "statusCode": response.status_code,
        "reason": response.reason,
        "ok": response.ok,
        "url": response.url,
        "isRedirect": response.is_redirect,
        "isPermanentRedirect": response.is_permanent_redirect,
        "history": [[r.status_code, r.url] for r in response.history],
        "next": {"method": response.next.method, "url": response.next.url} if response.next else None,
        "headers": [[name.lower(), value] for name, value in response.headers.items()],
        "encoding": response.encoding,
        "httpVersion": response.raw.version,
        "links": response.links,
        "request": {"method": response.request.method, "url": response.request.url},
        "body": observe_body(response, spec),
        "raised": None,
        "cookies": response.cookies.get_dict(),
        "historyCookies": [r.cookies.get_dict() for r in response.history],
    }
    if spec.get("raiseForStatus"):
        try:
            response.raise_for_status()
        except requests.RequestException as error:
            observed["raised"] = observe_error(error)
    return observed


def to_auth(auth):
    """A spec's credentials: a pair means Basic, ``{"digest": pair}`` HTTPDigestAuth."""
    if auth is None:
        return None
    if isinstance(auth, dict):
        return HTTPDigestAuth(*auth["digest"])
    return tuple(auth)


def request_kwargs(spec):
    timeout = spec.get("timeout")
    return {
        "params": to_params(spec.get("params")),
        "data": to_data(spec.get("data")),
        "json": spec.get("json"),
        "headers": spec.get("headers"),
        "cookies": spec.get("cookies"),
        "files": to_files(spec.get("files")),
        "auth": to_auth(spec.get("auth")),
        "allow_redirects": spec.get("allowRedirects", True),
        # Spec timeouts are milliseconds, as nq takes them; Requests takes seconds.
        "timeout": timeout / 1000 if timeout is not None else None,
        "stream": bool(spec.get("stream")) or spec.get("read", "content") != "content",
        # Per request, so that REQUESTS_CA_BUNDLE and friends never replace it: with trust_env on
        # (the .netrc specs) Requests only consults them when verify is True or None.
        "verify": spec.get("verify", True),
    }


def call(session, spec, id):
    try:
        response = session.request(spec.get("method", "GET"), spec["url"], **request_kwargs(spec))
        return {"id": id, "response": observe_response(response, spec), "error": None, "session": None}
    except Exception as error:  # noqa: BLE001 - the oracle reports every failure as data
        return {"id": id, "response": None, "error": observe_error(error), "session": None}


def to_retry(retries):
    """A spec's retries as urllib3's Retry; its backoff factor is in milliseconds."""
    kwargs = {
        "total": retries["total"],
        "status_forcelist": retries.get("statusForcelist"),
        "backoff_factor": retries.get("backoffFactor", 0) / 1000,
        "raise_on_status": retries.get("raiseOnStatus", True),
    }
    if "allowedMethods" in retries:
        # None retries every method, as nq's null does.
        methods = retries["allowedMethods"]
        kwargs["allowed_methods"] = None if methods is None else frozenset(methods)
    return Retry(**kwargs)


def configure(session, settings):
    """Applies a spec's session settings the way a Requests user would."""
    if "maxRedirects" in settings:
        session.max_redirects = settings["maxRedirects"]
    # Set one by one over the defaults; None drops a header when requests are prepared.
    for name, value in (settings.get("headers") or {}).items():
        session.headers[name] = value
    if "params" in settings:
        session.params = settings["params"]
    for cookie in settings.get("cookies") or []:
        set_cookie(session, cookie)
    if "auth" in settings:
        session.auth = to_auth(settings["auth"])
    if "netrc" in settings:
        # Requests reads NETRC from the process environment: point it at the spec's file.
        os.environ["NETRC"] = settings["netrc"]
        session.trust_env = settings.get("trustEnv", True)
    if "retries" in settings:
        adapter = HTTPAdapter(max_retries=to_retry(settings["retries"]))
        session.mount("http://", adapter)
        session.mount("https://", adapter)


def set_cookie(session, cookie):
    kwargs = {key: cookie[key] for key in ("domain", "path") if key in cookie}
    session.cookies.set(cookie["name"], cookie["value"], **kwargs)


def perform(spec):
    with requests.Session() as session:
        # A proxy or a .netrc on the machine must not change the oracle's answers.
        session.trust_env = False
        os.environ.pop("NETRC", None)
        settings = spec.get("session")
        if settings is None:
            return call(session, spec, spec["id"])
        configure(session, settings)
        before = []
        for index, step in enumerate(settings.get("before") or []):
            if "call" in step:
                before.append(call(session, step["call"], "%s before[%d]" % (spec["id"], index)))
            elif "setCookie" in step:
                set_cookie(session, step["setCookie"])
            else:
                session.cookies.set(step["deleteCookie"], None)
        result = call(session, spec, spec["id"])
        result["session"] = {"cookies": session.cookies.get_dict(), "before": before}
        return result


def main():
    # Only .netrc specs trust the environment, and then no proxy variable may take part.
    for name in list(os.environ):
        if name.lower().endswith("_proxy"):
            del os.environ[name]
    specs = json.load(sys.stdin)
    results = [perform(spec) for spec in specs]
    json.dump(results, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
