"""A preview as a pull-request comment (Markdown) and as a JSON document with the same content.

The Markdown starts with a marker line (`MARKER`) so a CI job can find and update its own comment.
It stays under GitHub's comment limit (65,536 characters): the summary, the lifecycle view and the
per-environment table always fit; per-stack sections are added in plan order while they fit, and a
note says which were left out (every stack is in the JSON document). One stack's section lists at
most `MAX_ROWS` resource changes. Every value shown comes from `tenantwave.preview.graphdiff`, which masks
secrets; everything from the configuration or the program is HTML-escaped. All three forms (Markdown, JSON,
text) go through the redactor too (`tenantwave.privacy.redaction`): an error quoting the environment or a
stack secret shows `[redacted]`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from tenantwave.planning.inventory import build_inventory
from tenantwave.planning.waves import Wave, build_waves
from tenantwave.preview.build import Preview, StackPreview
from tenantwave.privacy.markdown import markdown_text
from tenantwave.privacy.redaction import redact, redact_data

FORMAT = 1
COMMENT_LIMIT = 65_536
MARKER = "<!-- tenantwave-preview -->"
MAX_ROWS = 50
MAX_OMITTED_NAMES = 20
_SYMBOL = {"changed": "~", "added": "+", "removed": "-", "unchanged": "=", "failed": "!"}
_ACTION = {"add": "+", "remove": "-", "change": "~"}
_STATUSES = ("changed", "added", "removed", "unchanged", "failed")


def _waves(preview: Preview) -> tuple[list[Wave], dict[str, int]]:
    waves = build_waves(preview.head_project, build_inventory(preview.head_project))
    return waves, {stack.name: wave.number for wave in waves for stack in wave.stacks}


def lifecycle_view(preview: Preview) -> list[dict[str, Any]]:
    """The head's waves that hold an affected stack, in rollout order, with what changes there."""
    waves, _ = _waves(preview)
    by_name = {stack.name: stack for stack in preview.stacks if stack.affected.head is not None}
    rollout = preview.head_project.platform.rollout
    view = []
    for wave in waves:
        mine = [by_name[s.name] for s in wave.stacks if s.name in by_name]
        if not mine:
            continue
        policy = rollout.for_phase(wave.phase, wave.ring)
        counts = Counter(stack.status for stack in mine)
        view.append(
            {
                "wave": wave.number,
                "phase": wave.phase,
                "environments": list(dict.fromkeys(s.affected.stack.environment for s in mine)),
                "affected": len(mine),
                "changing": counts["changed"] + counts["added"],
                "unchanged": counts["unchanged"],
                "failed": counts["failed"],
                "approval": policy.approval,
                "bake_minutes": policy.bake_minutes,
            }
        )
    return view


def environment_counts(preview: Preview) -> list[dict[str, Any]]:
    """Per environment (lifecycle order, then environments only the base has): stacks by status."""
    order = list(preview.head_project.environments)
    rows: dict[str, dict[str, Any]] = {}
    for stack in preview.stacks:
        env = stack.affected.stack.environment
        if env not in order:
            order.append(env)
        row = rows.setdefault(
            env, {"environment": env, "phase": stack.affected.stack.phase, "affected": 0, **dict.fromkeys(_STATUSES, 0)}
        )
        row["affected"] += 1
        row[stack.status] += 1
    return [rows[env] for env in order if env in rows]


def totals(preview: Preview) -> dict[str, Any]:
    statuses = Counter[str](stack.status for stack in preview.stacks)
    resources = Counter[str]()
    for stack in preview.stacks:
        resources.update({k: v for k, v in stack.counts.items() if k != "same"})
    return {
        "stacks_total": len(build_inventory(preview.head_project)),
        "stacks_affected": len(preview.stacks),
        **{f"stacks_{status}": statuses[status] for status in _STATUSES},
        "resources": {"add": resources["add"], "remove": resources["remove"], "change": resources["change"]},
    }


# -- JSON ----------------------------------------------------------------------------------------


def preview_json(preview: Preview) -> dict[str, Any]:
    """The machine-readable preview (`format` 1: fields may be added, never renamed or removed)."""
    _, wave_of = _waves(preview)
    return redact_data(_document(preview, wave_of))


def _document(preview: Preview, wave_of: dict[str, int]) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "mode": preview.mode,
        "offline": preview.offline,
        "engine": preview.engine,
        "release": preview.release,
        "base": preview.base.to_json(),
        "head": preview.head.to_json(),
        "changed_files": list(preview.changed_files),
        "ignored_files": list(preview.ignored_files),
        "totals": totals(preview),
        "changes_anything": preview.changes_anything,
        "waves": lifecycle_view(preview),
        "environments": environment_counts(preview),
        "stacks": [_stack_json(stack, wave_of.get(stack.name)) for stack in preview.stacks],
    }


def _stack_json(stack: StackPreview, wave: int | None) -> dict[str, Any]:
    definition = stack.affected.stack
    return {
        "name": stack.name,
        "environment": definition.environment,
        "phase": definition.phase,
        "wave": wave,
        "kind": definition.kind,
        "tier": definition.tier,
        "tenants": list(definition.tenants),
        "status": stack.status,
        "reasons": list(stack.affected.reasons),
        "counts": dict(stack.counts),
        "resources": [change.to_json() for change in stack.diff.changes] if stack.diff is not None else None,
        "error": stack.error,
        "note": stack.note,
    }


# -- Markdown ------------------------------------------------------------------------------------


def _text(value: object) -> str:
    """Outside text, inert in the comment: no link, image, mention, HTML or control character."""
    return markdown_text(value)


def _code(value: object) -> str:
    return f"<code>{_text(value)}</code>"


def _join(items: Iterable[str]) -> str:
    return ", ".join(items) or "—"


def _counts_phrase(counts: dict[str, int] | Any) -> str:
    parts = [
        f"{counts.get(key, 0)} to {verb}" for key, verb in (("add", "add"), ("remove", "remove"), ("change", "change"))
    ]
    return ", ".join(parts)


def _header(preview: Preview) -> list[str]:
    total = totals(preview)
    changing = total["stacks_changed"] + total["stacks_added"] + total["stacks_removed"]
    title = f"## Preview: {changing} of {total['stacks_total']} stacks change"
    if not preview.stacks:
        title = f"## Preview: no stack is affected (of {total['stacks_total']})"
    lines = [MARKER, title, ""]
    lines.append(
        f"Base {_code(preview.base.ref)}{_commit(preview.base.commit)} → head {_code(preview.head.ref)}"
        f"{_commit(preview.head.commit)}: {len(preview.changed_files)} changed file(s)"
        + (f", {len(preview.ignored_files)} of them affecting no stack." if preview.ignored_files else ".")
    )
    lines.append("")
    if preview.offline:
        lines += [
            "> **Offline preview**: the stack program ran under Pulumi's mocks at both revisions and these are the",
            "> declared resources that differ. No cloud credentials were used and the live state was not read, so",
            "> drift and provider-computed changes do not show.",
        ]
    else:
        lines.append(f"> Previewed with the {_code(preview.engine)} engine (`pulumi preview` per stack): counts only.")
    lines.append("")
    if preview.stacks:
        by_status = ", ".join(f"{total['stacks_' + s]} {s}" for s in _STATUSES if total["stacks_" + s])
        lines += [
            f"**Stacks affected:** {total['stacks_affected']} ({by_status}). "
            f"**Resources:** {_counts_phrase(total['resources'])}.",
            "",
        ]
    return lines


def _commit(commit: str | None) -> str:
    return f" ({_code(commit[:12])})" if commit else ""


def _lifecycle_lines(preview: Preview) -> list[str]:
    view = lifecycle_view(preview)
    removed = [s.name for s in preview.stacks if s.status == "removed"]
    if not view and not removed:
        return []
    lines = ["### Once released, the change goes through", ""]
    if view:
        lines += [
            "| wave | phase | environments | affected | changing | unchanged | failed | gate |",
            "|---:|---|---|---:|---:|---:|---:|---|",
        ]
        for row in view:
            gate = [
                ("approval" if row["approval"] else ""),
                (f"bake {row['bake_minutes']:g} min" if row["bake_minutes"] else ""),
            ]
            lines.append(
                f"| {row['wave']} | {_text(row['phase'])} | {_text(_join(row['environments']))} | {row['affected']} "
                f"| {row['changing']} | {row['unchanged']} | {row['failed']} | {_join(g for g in gate if g)} |"
            )
        lines.append("")
    if removed:
        lines += [f"Removed from the configuration (no wave tears them down): {_join(_code(n) for n in removed)}.", ""]
    return lines


def _environment_lines(preview: Preview) -> list[str]:
    rows = environment_counts(preview)
    if not rows:
        return []
    lines = [
        "### Per environment",
        "",
        "| environment | phase | affected | " + " | ".join(_STATUSES) + " |",
        "|---|---|---:|" + "---:|" * len(_STATUSES),
    ]
    for row in rows:
        cells = " | ".join(str(row[s]) for s in _STATUSES)
        lines.append(f"| {_text(row['environment'])} | {_text(row['phase'])} | {row['affected']} | {cells} |")
    return [*lines, ""]


def _stack_section(stack: StackPreview, wave: int | None) -> str:
    where = f"wave {wave}" if wave is not None else "no wave"
    if stack.status == "failed":
        what = "preview failed"
    elif stack.status == "unchanged":
        what = "no change"
    else:
        what = _counts_phrase(stack.counts)
    lines = [
        f"<details><summary>{_SYMBOL[stack.status]} {_code(stack.name)} ({where}, {stack.status}): {what}</summary>",
        "",
    ]
    lines += [f"- {_text(reason)}" for reason in stack.affected.reasons]
    for extra in (stack.error, stack.note):
        if extra:
            lines += ["", f"**{'Error' if extra == stack.error else 'Note'}:** {_text(extra)}"]
    if stack.diff is not None and stack.diff.changes:
        lines += ["", "| | resource | property | before | after |", "|---|---|---|---|---|"]
        rows = _diff_rows(stack)
        lines += rows[:MAX_ROWS]
        if len(rows) > MAX_ROWS:
            lines += ["", f"… and {len(rows) - MAX_ROWS} more row(s): see the JSON document."]
    lines += ["", "</details>", ""]
    return "\n".join(lines) + "\n"


def _diff_rows(stack: StackPreview) -> list[str]:
    assert stack.diff is not None
    rows = []
    for change in stack.diff.changes:
        resource = f"{_code(change.type)} {_code(change.name)}"
        if change.action != "change":
            rows.append(f"| {_ACTION[change.action]} | {resource} | | | |")
            continue
        for prop in change.properties:
            before = _code(prop.old) if prop.old is not None else "—"
            after = _code(prop.new) if prop.new is not None else "—"
            rows.append(f"| ~ | {resource} | {_code(prop.path)} | {before} | {after} |")
    return rows


def preview_markdown(preview: Preview, limit: int = COMMENT_LIMIT) -> str:
    """The PR comment: at most `limit` characters, per-stack sections cut first (with a note)."""
    _, wave_of = _waves(preview)
    head = redact("\n".join([*_header(preview), *_lifecycle_lines(preview), *_environment_lines(preview)]) + "\n")
    sections = [(stack.name, redact(_stack_section(stack, wave_of.get(stack.name)))) for stack in preview.stacks]
    body = head + ("### Stacks\n\n" if sections else "")
    for index, (name, section) in enumerate(sections):
        rest = [later for later, _ in sections[index + 1 :]]
        room_for_note = len(_truncation_note(rest, limit)) if rest else 0
        if len(body) + len(section) + room_for_note > limit:
            body += _truncation_note([name, *rest], limit)
            break
        body += section
    return _fit(body, limit)


def _truncation_note(omitted: Sequence[str], limit: int) -> str:
    names = ", ".join(f"`{name}`" for name in omitted[:MAX_OMITTED_NAMES])
    more = f" and {len(omitted) - MAX_OMITTED_NAMES} more" if len(omitted) > MAX_OMITTED_NAMES else ""
    return (
        f"**Truncated:** the details of {len(omitted)} stack(s) are left out to keep this comment under "
        f"{limit:,} characters: {names}{more}. Every stack is in the JSON document (the `preview-json` artifact).\n"
    )


def _fit(text: str, limit: int) -> str:
    """Last resort when even the summary is too long (thousands of environments): cut at a line."""
    if len(text) <= limit:
        return text
    note = "\n\n**Truncated:** the summary itself was too long; the JSON document has everything.\n"
    cut = text[: limit - len(note)]
    return cut[: cut.rfind("\n")] + note


# -- plain text (the command's own output) -------------------------------------------------------


def preview_text(preview: Preview) -> list[str]:
    """One line per affected stack with its reasons indented, then the totals."""
    _, wave_of = _waves(preview)
    mode = "offline (program under mocks)" if preview.offline else f"through the {preview.engine} engine"
    lines = [f"preview of {preview.base.label} -> {preview.head.label}, {mode}"]
    for stack in preview.stacks:
        wave = wave_of.get(stack.name)
        where = f"wave {wave}" if wave is not None else "no wave"
        what = {"failed": f"failed: {stack.error}", "unchanged": "no change"}.get(
            stack.status, _counts_phrase(stack.counts)
        )
        lines.append(f"{_SYMBOL[stack.status]} {stack.name} ({where}, {stack.status}): {what}")
        lines += [f"    {reason}" for reason in stack.affected.reasons]
    total = totals(preview)
    changing = total["stacks_changed"] + total["stacks_added"] + total["stacks_removed"]
    by_status = ", ".join(f"{total['stacks_' + s]} {s}" for s in _STATUSES if total["stacks_" + s])
    lines.append(
        f"{changing} of {total['stacks_total']} stacks change"
        + (f" ({by_status}); resources: {_counts_phrase(total['resources'])}" if preview.stacks else "")
    )
    return [redact(line) for line in lines]
