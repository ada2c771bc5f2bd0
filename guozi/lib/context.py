"""Which channel a change came through (ui, api, cli, job), for the audit log."""

from contextvars import ContextVar

CHANNELS = ("ui", "api", "cli", "job", "system")
_channel: ContextVar[str] = ContextVar("guozi_channel", default="system")


def set_channel(channel: str) -> None:
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    _channel.set(channel)


def reset_channel() -> None:
    _channel.set("system")


def current_channel() -> str:
    return _channel.get()


class ChannelMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _channel.set("api" if request.path.startswith("/api/") else "ui")
        try:
            return self.get_response(request)
        finally:
            _channel.reset(token)
