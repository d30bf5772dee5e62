"""Git revisions of a project for previews: resolve refs, list changed files, export a tree.

Never touches the user's working tree, index or branches: a revision is read with `git archive`
into a temporary directory. Refs are checked before they reach a command line (no leading '-',
no control characters), resolved to a commit id with `--end-of-options`, and only that id is used
afterwards; paths are always passed after `--`.
"""

from __future__ import annotations

import io
import re
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from tenantwave.errors import UsageError

WORKING_TREE = "working tree"
_SAFE_REF = re.compile(r"\A[^\s\x00-\x1f\x7f~^:?*\[\\][^\s\x00-\x1f\x7f]{0,254}\Z")
_TIMEOUT = 120


@dataclass(frozen=True)
class Revision:
    """A revision of the project: a ref and its commit, or the working tree (commit None)."""

    ref: str
    commit: str | None

    @property
    def label(self) -> str:
        return self.ref if self.commit is None else f"{self.ref} ({self.commit[:12]})"

    def to_json(self) -> dict[str, str | None]:
        return {"ref": self.ref, "commit": self.commit}


@dataclass(frozen=True)
class Repository:
    """The git repository holding a project; `prefix` is the project's path inside it ('' at the top)."""

    toplevel: Path
    prefix: str

    def git(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        try:
            return subprocess.run(
                ["git", "-C", str(self.toplevel), *args], capture_output=True, timeout=_TIMEOUT, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise UsageError(f"git {args[0]} failed: {exc}") from None


def open_repository(project_root: Path) -> Repository:
    """The repository the project is in; UsageError when git is missing or it is not in one."""
    try:
        done = subprocess.run(
            ["git", "-C", str(project_root), "rev-parse", "--show-toplevel", "--show-prefix"],
            capture_output=True,
            text=True,
            timeout=_TIMEOUT,
            check=False,
        )
    except FileNotFoundError:
        raise UsageError("git is not installed: previews compare two git revisions, install git") from None
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UsageError(f"git rev-parse failed: {exc}") from None
    if done.returncode != 0:
        raise UsageError(f"{project_root} is not in a git repository: previews compare two git revisions")
    toplevel, prefix = ([*done.stdout.splitlines(), ""])[:2]
    return Repository(Path(toplevel), prefix.strip())


def check_ref(option: str, ref: str) -> str:
    """Refuse what could be read as an option or is not a plausible ref name."""
    if ref.startswith("-") or not _SAFE_REF.match(ref):
        raise UsageError(f"{option} {ref!r}: not a git ref (a branch, tag or commit; it may not start with '-')")
    return ref


def resolve(repo: Repository, option: str, ref: str) -> Revision:
    check_ref(option, ref)
    done = repo.git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    commit = done.stdout.decode().strip()
    if done.returncode != 0 or not re.fullmatch(r"[0-9a-f]{40,64}", commit):
        raise UsageError(f"{option} {ref}: no such commit in {repo.toplevel} (fetch it first, e.g. git fetch origin)")
    return Revision(ref, commit)


def changed_files(repo: Repository, base: Revision, head: Revision) -> list[str]:
    """Paths (relative to the project root) that differ between base and head, sorted.

    For the working tree: tracked changes (committed or not) and untracked files git does not ignore.
    """
    assert base.commit is not None
    scope = [repo.prefix] if repo.prefix else ["."]
    if head.commit is None:
        diff = repo.git("diff", "--name-only", "--no-renames", "-z", base.commit, "--", *scope)
        untracked = repo.git("ls-files", "--others", "--exclude-standard", "-z", "--full-name", "--", *scope)
        outputs = [diff, untracked]
    else:
        outputs = [repo.git("diff", "--name-only", "--no-renames", "-z", base.commit, head.commit, "--", *scope)]
    paths: set[str] = set()
    for done in outputs:
        if done.returncode != 0:
            raise UsageError(f"git could not compare the revisions: {_first_line(done.stderr)}")
        paths.update(item for item in done.stdout.decode().split("\0") if item)
    return sorted(path[len(repo.prefix) :] for path in paths if path.startswith(repo.prefix))


def export_tree(repo: Repository, revision: Revision, target: Path) -> Path:
    """Write the project's files at `revision` under `target`; returns the project root there.

    Returns a directory without platform.yaml when the project did not exist at that revision.
    """
    assert revision.commit is not None
    treeish = f"{revision.commit}:{repo.prefix.rstrip('/')}" if repo.prefix else revision.commit
    target.mkdir(parents=True, exist_ok=True)
    exists = repo.git("cat-file", "-e", treeish)
    if exists.returncode != 0:
        return target
    done = repo.git("archive", "--format=tar", treeish)
    if done.returncode != 0:
        raise UsageError(f"git archive {revision.label} failed: {_first_line(done.stderr)}")
    with tarfile.open(fileobj=io.BytesIO(done.stdout)) as archive:
        try:
            archive.extractall(target, filter="data")  # links inside the project are kept and followed
        except tarfile.FilterError as exc:
            raise UsageError(_refused(revision, exc)) from None
    return target


def _refused(revision: Revision, exc: tarfile.FilterError) -> str:
    member = exc.tarinfo
    if isinstance(exc, (tarfile.AbsoluteLinkError, tarfile.LinkOutsideDestinationError)):
        return (f"{revision.label}: {member.name} is a symbolic link to {member.linkname}, outside the project: "
                "preview reads only files inside it")
    return f"{revision.label}: {member.name} cannot be previewed: {exc}"


def _first_line(data: bytes) -> str:
    text = data.decode(errors="replace").strip()
    return text.splitlines()[0] if text else "no message"
