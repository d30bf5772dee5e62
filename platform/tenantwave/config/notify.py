"""The webhooks that hear about runs (platform.yaml `notify`), documented in docs/notifications.md.

Each webhook names the environment variable that holds its URL (`url_env`), never the URL: a
webhook URL is a credential (anyone who has it can post to the channel), so a literal URL in the
file is refused with the fix. No message about the section repeats what it holds (`quiet_problem`):
a URL put by mistake in a list item, `events`, `format`, a key or `url_env` is a secret all the same.
The rest: the body's format (`slack`: Slack-compatible `{"text": ...}`; `json`: a generic
document), the events it wants (all by default), a short timeout per attempt and a bounded number
of retries.

Only the model lives here (the planning path reads it); sending is `tenantwave.rollout.webhooks`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import ErrorDetails

from tenantwave.config.suggestions import did_you_mean

NotifyEvent = Literal[
    "run_started", "run_finished", "run_deferred", "gate_closed", "approval_needed", "drift_found", "rollback_done"
]
EVENTS: tuple[NotifyEvent, ...] = get_args(NotifyEvent)
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
URL_FIX = "put it in an environment variable and name the variable"
NOT_IN_FILE = "a webhook URL is a secret and does not belong in the file"
SECTION = "notify"  # platform.yaml's key: what is under it is never repeated in a message
NOT_REPEATED = "(what is there is not repeated: in notify it may be a webhook URL, which is a secret)"
KEYS = ("name", "url_env", "format", "events", "timeout_seconds", "retries")  # `url` is refused


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
        if not ENV_NAME.fullmatch(name):  # never echoed: it may be (part of) the URL
            raise ValueError(
                "not an environment variable name (letters, digits and _, not starting with a digit, "
                f"e.g. SLACK_WEBHOOK_URL) {NOT_REPEATED}"
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
    seen: dict[str, int] = {}
    for index, hook in enumerate(hooks):
        if hook.label in seen:  # not named: a label is a value from the section
            raise ValueError(
                f"{SECTION}[{index}] is called the same as {SECTION}[{seen[hook.label]}] (its name, else its "
                "url_env): give each webhook a distinct name"
            )
        seen[hook.label] = index
    return hooks


def quiet_problem(error: ErrorDetails) -> tuple[tuple[str | int, ...], str]:
    """Where (pydantic's location) and what a validation error under `notify` is, with the fix, never
    repeating anything the section holds: no input, no unknown key (any of them may be a URL)."""
    loc = _known_part(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        key = error["loc"][-1]
        hint = did_you_mean(key, KEYS) if isinstance(key, str) else ""
        return loc, f"an unknown key{hint}: a webhook's keys are {', '.join(KEYS[:-1])} and {KEYS[-1]} {NOT_REPEATED}"
    if kind == "missing":
        return loc, "missing (this key is required)"
    if loc == (SECTION,) and kind == "list_type":
        return loc, f"a list of webhooks such as [{{url_env: SLACK_WEBHOOK_URL}}] {NOT_REPEATED}"
    if len(loc) == 2 and kind in ("model_type", "model_attributes_type", "dict_type"):
        return loc, ("a webhook is a mapping such as {url_env: SLACK_WEBHOOK_URL}, the environment variable that "
                     f"holds its URL {NOT_REPEATED}")
    message = str(error["msg"]).removeprefix("Value error, ")  # a value_error: one of ours, never echoing
    message = message[:1].lower() + message[1:]
    if kind != "value_error" and any(len(text) >= 4 and text in message for text in _strings(error.get("input"))):
        return loc, f"not a valid value {NOT_REPEATED}"  # pydantic quoted it: say nothing of it
    if kind.endswith(("_type", "_parsing")) or kind.startswith(("int_", "bool_", "literal_")):
        return loc, f"{message} {NOT_REPEATED}"
    return loc, message


def _known_part(loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """`loc` up to its first part that is not `notify`, an index or a webhook's field (an unknown key)."""
    known: list[str | int] = []
    for part in loc:
        if not (isinstance(part, int) or part == SECTION or part in Webhook.model_fields):
            break
        known.append(part)
    return tuple(known)


def _strings(value: Any) -> list[str]:
    """Every string in a YAML value: itself, the items and keys it holds."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for key, item in value.items() for text in (*_strings(key), *_strings(item))]
    if isinstance(value, list | tuple):
        return [text for item in value for text in _strings(item)]
    return []
