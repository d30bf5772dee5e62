"""The webhooks that hear about runs (platform.yaml `notify`), documented in docs/notifications.md.

Each webhook names the environment variable that holds its URL (`url_env`), never the URL: a
webhook URL is a credential (anyone who has it can post to the channel), so a literal URL in the
file is refused with the fix, and the message never repeats the URL. The rest: the body's format
(`slack`: Slack-compatible `{"text": ...}`; `json`: a generic document), the events it wants (all
by default), a short timeout per attempt and a bounded number of retries.

Only the model lives here (the planning path reads it); sending is `tenantwave.rollout.webhooks`.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

NotifyEvent = Literal["run_started", "run_finished", "gate_closed", "approval_needed", "drift_found", "rollback_done"]
EVENTS: tuple[NotifyEvent, ...] = get_args(NotifyEvent)
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
URL_FIX = "put it in an environment variable and name the variable"
NOT_IN_FILE = "a webhook URL is a secret and does not belong in the file"


class Webhook(BaseModel):
    """One webhook: where its URL comes from, its body's format, what it wants to hear about."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    name: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")] | None = None
    url_env: Annotated[str, Field(min_length=1, max_length=128)]
    url: str | None = Field(None, description="refused: the URL belongs in the variable url_env names")
    format: Literal["json", "slack"] = "json"
    events: list[NotifyEvent] = Field(default_factory=lambda: list(EVENTS))
    timeout_seconds: Annotated[float, Field(gt=0, le=30)] = 5
    retries: Annotated[int, Field(ge=0, le=5)] = 2

    @field_validator("url")
    @classmethod
    def _no_literal_url(cls, url: str | None) -> None:
        if url is not None:  # never echoed: it is the secret
            raise ValueError(f"{NOT_IN_FILE}: {URL_FIX} instead (url_env: SLACK_WEBHOOK_URL)")

    @field_validator("url_env")
    @classmethod
    def _a_variable_name(cls, name: str) -> str:
        if "://" in name or name.lower().startswith(("http:", "https:")):
            raise ValueError(f"holds a URL: {NOT_IN_FILE}: {URL_FIX} here (url_env: SLACK_WEBHOOK_URL)")
        if not ENV_NAME.fullmatch(name):
            shown = name if len(name) <= 40 else name[:37] + "..."
            raise ValueError(
                f"{shown!r} is not an environment variable name (letters, digits and _, not starting with "
                "a digit, e.g. SLACK_WEBHOOK_URL)"
            )
        return name

    @field_validator("events")
    @classmethod
    def _some_events(cls, events: list[NotifyEvent]) -> list[NotifyEvent]:
        if not events:
            raise ValueError(f"list at least one event ({', '.join(EVENTS)}), or leave events out for all of them")
        return list(dict.fromkeys(events))

    @property
    def label(self) -> str:
        """How messages name the webhook: its name, else the variable that holds its URL."""
        return self.name or self.url_env

    def wants(self, event: str) -> bool:
        return event in self.events


def unique_labels(hooks: list[Webhook]) -> list[Webhook]:
    """The `notify` list, refused when two webhooks would be called the same in messages."""
    seen: set[str] = set()
    for hook in hooks:
        if hook.label in seen:
            raise ValueError(f"two webhooks are called {hook.label!r}: give each a distinct name")
        seen.add(hook.label)
    return hooks
