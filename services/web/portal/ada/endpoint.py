"""A school's own OpenAI-compatible chat endpoint: one request, one answer, or a clear failure.

The request is `POST <base URL>/chat/completions` with the school's model, a system prompt
(A.D.A.'s persona, the retrieved passages with their step ids, the submission's facts)
and the question, authenticated with `Authorization: Bearer <key>`. Only the standard
library is used (urllib), with a timeout, no proxy for loopback hosts and no redirects
(a redirect would carry the key to wherever it points). Every way it can go wrong
raises `EndpointFailed` with a short reason for the student's note; neither the reason
nor anything logged ever contains the key.
"""

from __future__ import annotations

import http.client
import json
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from portal.ada.context import Context

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
MAX_ANSWER_CHARACTERS = 8000
PERSONA = (
    'You are A.D.A., the expert guide of the online course "{course}". You answer a '
    'student\'s question briefly, warmly and precisely, addressing them as "you". Use only '
    "the course passages and the facts of the student's submission given below; when they "
    "do not answer the question, say so instead of guessing. Refer to the steps you use by "
    "their number and title. Never write code that solves a lab for them."
)


class EndpointFailed(Exception):
    """The endpoint gave no usable answer; the message says why, for the student's note."""


@dataclass(frozen=True)
class EndpointSettings:
    """Where a school's endpoint is and how to call it (the key stays server-side)."""

    base_url: str
    model: str
    key: str
    timeout_seconds: float

    @property
    def completions_url(self) -> str:
        """`<base URL>/chat/completions`."""
        return self.base_url.rstrip("/") + "/chat/completions"


def system_prompt(context: Context) -> str:
    """The persona, the passages with their step ids, and the submission's facts."""
    parts = [PERSONA.format(course=context.course.title)]
    if context.hits:
        parts.append("Course passages (cite the step of each one you use):")
        for hit in context.hits:
            p = hit.passage
            heading = f" ({p.heading})" if p.heading else ""
            parts.append(
                f'[step_id: {p.step_id}] Step {p.step_number}, "{p.step_title}"{heading}:\n{p.text}'
            )
    else:
        parts.append("No passage of the course matched the question.")
    if context.about_submission and context.facts is not None:
        facts = context.facts.sentences() + [f"Likely cause: {c}" for c in context.facts.causes]
        parts.append("Facts of the student's latest submission:\n" + "\n".join(facts))
    return "\n\n".join(parts)


def request_body(settings: EndpointSettings, context: Context) -> dict:
    """The chat completion request for `context`."""
    return {
        "model": settings.model,
        "messages": [
            {"role": "system", "content": system_prompt(context)},
            {"role": "user", "content": context.question},
        ],
        "temperature": 0.2,
    }


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001
        return None  # urllib then raises HTTPError with the 3xx status


def _opener(url: str) -> urllib.request.OpenerDirector:
    handlers: list = [_NoRedirects()]
    if (urlsplit(url).hostname or "") in LOOPBACK_HOSTS:
        handlers.append(urllib.request.ProxyHandler({}))  # a proxy cannot reach our loopback
    return urllib.request.build_opener(*handlers)


def ask_endpoint(settings: EndpointSettings, context: Context) -> str:
    """The endpoint's answer to `context`; raises EndpointFailed on any failure."""
    data = json.dumps(request_body(settings, context)).encode()
    request = urllib.request.Request(settings.completions_url, data=data, method="POST")
    request.add_header("Content-Type", "application/json")
    request.add_header("Accept", "application/json")
    if settings.key:
        request.add_header("Authorization", f"Bearer {settings.key}")
    try:
        with _opener(settings.completions_url).open(
            request, timeout=settings.timeout_seconds
        ) as response:
            status = response.status
            raw = response.read(1024 * 1024)
    except urllib.error.HTTPError as error:
        raise EndpointFailed(f"answered with an error (HTTP {error.code})") from None
    except TimeoutError:
        raise EndpointFailed("timed out") from None
    except urllib.error.URLError as error:
        if isinstance(error.reason, TimeoutError | socket.timeout):
            raise EndpointFailed("timed out") from None
        raise EndpointFailed("could not be reached") from None
    except (OSError, ValueError, http.client.HTTPException):
        raise EndpointFailed("could not be reached") from None
    if status != 200:
        raise EndpointFailed(f"answered with an error (HTTP {status})")
    return _content(raw)


def _content(raw: bytes) -> str:
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise EndpointFailed("sent an answer that is not valid JSON") from None
    try:
        content = document["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise EndpointFailed("sent an answer without a message") from None
    if not isinstance(content, str) or not content.strip():
        raise EndpointFailed("sent an empty answer")
    return content.strip()[:MAX_ANSWER_CHARACTERS]
