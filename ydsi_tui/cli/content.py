"""Record content (names, notes, reasons) never rides on the command line.

Every local user of the server can read every process's arguments
(``ps``, ``/proc/<pid>/cmdline``) unless ``/proc`` is mounted with
``hidepid``, and a ``ydsi`` process lives for at least one Argon2id run. So a
command's free text and names come from a prompt (at a terminal), from
``--text-file FILE|-`` (a command that takes one text), from
``--fields-file FILE|-`` (several: one ``field: value`` per line, or a JSON
object), or from stdin. The same values given as arguments are refused with a
message naming the safe ways, unless ``/proc`` hides other users' processes
or the user says ``--allow-argv``.

Commands declare their content with :func:`takes_content` when they build
their parser; :func:`resolve_content` then fills the same ``args`` names the
command already reads, so a command's own code does not change.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import stat
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..model.text import MEDIA_EXTENSIONS, starts_like_media
from .context import CliError
from .output import warn

if TYPE_CHECKING:
    from .context import Context

__all__ = [
    "MAX_CONTENT_BYTES",
    "Content",
    "Field",
    "argv_allowed",
    "looks_like_pupil_id",
    "proc_hides_other_users",
    "read_content_file",
    "read_fields",
    "resolve_content",
    "takes_content",
]

#: The most a --text-file or --fields-file may hold: the longest note the
#: model takes (200,000 characters) in any script, with room to spare.
MAX_CONTENT_BYTES = 1024 * 1024

#: hidepid values under which another user cannot read a process's cmdline:
#: 1 (noaccess) keeps the directories but protects their files, 2
#: (invisible) hides them, 4 (ptraceable) shows only processes one may trace.
_HIDING = frozenset(("1", "2", "4", "noaccess", "invisible", "ptraceable"))
#: A pupil id as ``ydsi incident show`` prints it (8 hex digits) or whole (32).
_PUPIL_ID = re.compile(r"^[0-9a-f]{8,32}$")


@dataclass(frozen=True)
class Field:
    """One piece of content a command takes.

    ``name`` is the ``args`` attribute the command reads and the key in a
    fields file; ``flag`` is how the command line spells it (``--summary``, or
    a positional's metavar such as ``TEXT``). ``required`` may depend on the
    other arguments (``parents ... informed`` needs ``who``). A ``selector``
    picks an existing pupil: an id there is not content, a name is.
    """

    name: str
    flag: str
    help: str = ""
    required: bool | Callable[[argparse.Namespace], bool] = False
    many: bool = False
    long: bool = False
    selector: bool = False
    label: str = ""
    attr: str = ""  # the args attribute, when not ``name`` (and the command adds it itself)
    plain: Callable[[str], bool] | None = None  # argument values that are not content
    metavar: str = ""  # how an option's value is shown in help (``--social-worker NAME``)

    @property
    def dest(self) -> str:
        return self.attr or self.name

    def is_content(self, value: Any) -> bool:
        """Whether a value given as an argument is content (a pupil's id is not)."""
        return not (self.selector and isinstance(value, str) and looks_like_pupil_id(value))

    def needed(self, args: argparse.Namespace) -> bool:
        return self.required(args) if callable(self.required) else self.required

    @property
    def what(self) -> str:
        """How a message names it."""
        return self.label or self.name.replace("_", " ")

    @property
    def prompt(self) -> str:
        """What the terminal asks: the label, else the help, in the user's words."""
        text = self.label or self.help or self.what
        return text[:1].upper() + text[1:]

    @property
    def spelled(self) -> str:
        return self.flag if self.flag.startswith("-") else f"the {self.what} ({self.flag})"


@dataclass(frozen=True)
class Content:
    """What one command takes as content, and which field ``--text-file`` fills."""

    fields: tuple[Field, ...]
    primary: str | None
    free_form: bool = False  # ``record``: any field name the entry's schema knows
    into: str | None = None  # ``record``: the one argument that gets them all, as JSON
    by_name: dict[str, Field] = field(default_factory=dict, compare=False)

    @property
    def multi(self) -> bool:
        return self.free_form or len(self.fields) > 1


def takes_content(
    p: argparse.ArgumentParser,
    *fields: Field,
    primary: str | None = None,
    free_form: bool = False,
    into: str | None = None,
) -> None:
    """Add a command's content arguments, ``--text-file`` and ``--fields-file``."""
    if primary is None and len(fields) == 1 and not free_form:
        primary = fields[0].name
    for f in fields:
        if f.attr:
            continue
        way = "--text-file" if f.name == primary else "--fields-file"
        note = "" if f.selector else f" (content: refused as an argument; see {way})"
        if not f.flag.startswith("-"):
            p.add_argument(f.name, metavar=f.flag, nargs="?", help=f.help + note)
        else:
            p.add_argument(
                f.flag,
                dest=f.name,
                action="append" if f.many else "store",
                metavar=f.metavar or None,
                help=f.help + note,
            )
    files = p.add_mutually_exclusive_group()
    if primary is not None:
        what = next(f.what for f in fields if f.name == primary)
        files.add_argument(
            "--text-file",
            metavar="FILE|-",
            help=f"read the {what} from FILE (- for stdin); without it "
            "you are asked at a terminal, or it is read from stdin",
        )
    if free_form or len(fields) > 1:
        names = ", ".join(f.name + (" (repeat)" if f.many else "") for f in fields)
        files.add_argument(
            "--fields-file",
            metavar="FILE|-",
            help="read the content from FILE (- for stdin): one 'field: value' per line "
            "(an indented line continues the one above) or a JSON object; fields: "
            + (names if not free_form else "those of the entry kind, as in --data"),
        )
    p.set_defaults(
        content=Content(
            tuple(fields),
            primary,
            free_form=free_form,
            into=into,
            by_name={f.name: f for f in fields},
        )
    )


# ----------------------------------------------------------------------
# is the command line private here?
# ----------------------------------------------------------------------
def proc_hides_other_users(mounts: str) -> bool:
    """True if the ``/proc`` in force hides other users' processes.

    ``mounts`` is the text of ``/proc/self/mountinfo`` (the options the proc
    file system itself took are after `` - proc proc``) or of
    ``/proc/mounts``. The last mount on ``/proc`` wins, as it hides any
    below it. Pure, so it can be tested over sample lines.
    """
    hiding = False
    for line in mounts.splitlines():
        if " - " in line:
            left, _, right = line.partition(" - ")
            head, tail = left.split(), right.split()
            if len(head) < 6 or len(tail) < 3:
                continue
            point, kind, options = head[4], tail[0], f"{head[5]},{tail[2]}"
        else:
            parts = line.split()
            if len(parts) < 4:
                continue
            point, kind, options = parts[1], parts[2], parts[3]
        if point != "/proc" or kind != "proc":
            continue
        values = [o.partition("=")[2] for o in options.split(",") if o.startswith("hidepid=")]
        hiding = bool(values) and values[-1] in _HIDING
    return hiding


#: Where the proc mount's options are read from, first found wins.
MOUNT_SOURCES: tuple[str, ...] = ("/proc/self/mountinfo", "/proc/mounts")


def proc_is_private() -> bool:
    """This server's ``/proc``, read from the first mount table found."""
    for source in MOUNT_SOURCES:
        try:
            return proc_hides_other_users(Path(source).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            continue
    return False


def argv_allowed(ctx: Context) -> bool:
    """``--allow-argv``, the ``allow_argv`` setting, or a ``/proc`` that hides processes."""
    if getattr(ctx.args, "allow_argv", False):
        return True
    try:
        if ctx.settings.values["allow_argv"].value:
            return True
    except KeyError:  # pragma: no cover - settings without the key
        pass
    return proc_is_private()


def looks_like_pupil_id(value: str) -> bool:
    """A pupil's id (or its first 8 digits): names no one, so it may be an argument."""
    return _PUPIL_ID.match(value) is not None


# ----------------------------------------------------------------------
# reading files and stdin
# ----------------------------------------------------------------------
def _decode(data: bytes, where: str) -> str:
    if len(data) > MAX_CONTENT_BYTES:
        raise CliError(f"{where} is over {MAX_CONTENT_BYTES:,} bytes: shorten it")
    if starts_like_media(data[:16]):
        raise CliError(
            f"{where} is an image or video: this program keeps descriptions in words only "
            "(copying the imagery is illegal)"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise CliError(f"{where} is not valid UTF-8 text: save it as UTF-8") from None
    if text.endswith("\r\n"):
        return text[:-2]
    return text[:-1] if text.endswith("\n") else text


def _read_stdin() -> bytes:
    stream = getattr(sys.stdin, "buffer", None)
    try:
        if stream is not None:
            data: bytes = stream.read(MAX_CONTENT_BYTES + 1)
            return data
        if sys.stdin is None:
            return b""
        return sys.stdin.read(MAX_CONTENT_BYTES + 1).encode("utf-8", "surrogateescape")
    except (OSError, ValueError):  # closed, or not readable (a test harness)
        return b""


def read_content_file(path: str, what: str) -> str:
    """The text of FILE (``-``: stdin): a regular file, bounded, UTF-8, never imagery.

    Opened without blocking, so a FIFO or a device is refused rather than
    waited on; one trailing newline (an editor's) is dropped.
    """
    if path == "-":
        return _decode(_read_stdin(), f"the {what} on stdin")
    where = f"{what} file {path}"
    if Path(path).suffix.lower().lstrip(".") in MEDIA_EXTENSIONS:
        raise CliError(
            f"{where} is an image or video file: this program keeps descriptions in words only "
            "(copying the imagery is illegal)"
        )
    try:
        fd = os.open(Path(path).expanduser(), os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise CliError(f"cannot read {where}: {exc.strerror or type(exc).__name__}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise CliError(f"{where} is not a regular file")
        if info.st_size > MAX_CONTENT_BYTES:
            raise CliError(f"{where} is over {MAX_CONTENT_BYTES:,} bytes: shorten it")
        if info.st_mode & 0o044:
            # Not refused (it is the user's own file), but what it holds is a
            # pupil's record, in plain text, that others here may read.
            warn(
                f"ydsi: warning: {path} can be read by other users "
                f"(mode {stat.S_IMODE(info.st_mode):04o}): keep such files 0600, and delete "
                "it once recorded"
            )
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_CONTENT_BYTES:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise CliError(f"cannot read {where}: {exc.strerror or type(exc).__name__}") from None
    finally:
        os.close(fd)
    return _decode(b"".join(chunks), where)


def _key(name: str) -> str:
    return name.strip().replace("-", "_")


def _looks_like_fields(text: str, spec: Content) -> bool:
    """Whether stdin (given without a flag) holds fields rather than the main text.

    Only if every line is a field this command takes (``name: value``), an
    indented continuation, a comment or blank, or the whole is a JSON object:
    a basis such as "no adult involved: confirmed by both" stays text.
    """
    if text.lstrip().startswith("{"):
        return True
    named = False
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#") or line[:1] in (" ", "\t"):
            continue
        name, sep, _ = line.partition(":")
        if not sep or (_key(name) not in spec.by_name and not spec.free_form):
            return False
        named = True
    return named


def read_fields(text: str, spec: Content, where: str) -> dict[str, Any]:
    """``field: value`` lines (an indented line continues the one above) or a JSON object."""
    found: dict[str, Any] = {}
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            raise CliError(f"{where} starts with '{{' but is not a JSON object") from None
        if not isinstance(data, dict):
            raise CliError(f"{where} is not a JSON object")
        pairs: list[tuple[str, Any, int]] = [(_key(k), v, 0) for k, v in data.items()]
    else:
        pairs = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if line[:1] in (" ", "\t"):
                if not pairs:
                    raise CliError(f"{where} line {number}: an indented line with no field above")
                name, value, first = pairs[-1]
                pairs[-1] = (name, f"{value}\n{line.strip()}" if value else line.strip(), first)
                continue
            name, sep, value = line.partition(":")
            if not sep:
                raise CliError(f"{where} line {number}: not 'field: value'")
            pairs.append((_key(name), value.strip(), number))
    for name, value, number in pairs:
        at = f" line {number}" if number else ""
        f = spec.by_name.get(name)
        if f is None and not spec.free_form:
            known = ", ".join(spec.by_name)
            raise CliError(f"{where}{at}: no field {name!r} here (the fields are: {known})")
        if spec.free_form and not number:
            found[name] = value  # JSON for ``record``: kept as typed, checked by the schema
            continue
        if isinstance(value, list) and f is not None and f.many:
            if not all(isinstance(v, str) for v in value):
                raise CliError(f"{where}: {name} must be a list of text")
            found.setdefault(name, []).extend(value)
        elif not isinstance(value, str):
            raise CliError(f"{where}{at}: {name} must be text")
        elif f is not None and f.many:
            found.setdefault(name, []).append(value)
        elif name in found:
            raise CliError(f"{where}{at}: {name} is given twice")
        else:
            found[name] = value
    return found


# ----------------------------------------------------------------------
# putting it together
# ----------------------------------------------------------------------
def _refusal(f: Field, spec: Content) -> str:
    if spec.primary is not None and f.name == spec.primary:
        ways = "use --text-file FILE, --text-file - (stdin), or run without it to be asked"
    else:
        ways = "use --fields-file FILE, --fields-file - (stdin), or run without it to be asked"
    if f.selector:
        ways += " (or give the pupil's id, from 'ydsi incident show')"
    return f"{f.spelled} would be visible to every user of this server in the process list; {ways}"


def _given(args: argparse.Namespace, f: Field) -> Any:
    """What the command line (or a file, once applied) gave for ``f``, or None."""
    value = getattr(args, f.dest, None)
    if value in (None, []):
        return None
    if f.plain is not None and isinstance(value, str) and f.plain(value):
        return None  # a word the command takes in its place (``transfer list``)
    return value


def _ask(f: Field) -> str:
    """One answer at the terminal, on the line after its prompt; a long text ends at an empty line.

    The prompt goes to stderr (through the output gate), so ``REF=$(ydsi
    incident new)`` at a terminal asks on the screen and keeps only the
    reference on stdout.
    """

    def line() -> str:
        try:
            got = sys.stdin.readline()
        except (OSError, ValueError):
            got = ""
        if not got:
            raise CliError(f"no {f.what} given: nothing was recorded")
        return got.rstrip("\r\n")

    if not f.long:
        warn(f"{f.prompt}:")
        return line()
    warn(f"{f.prompt} (end with an empty line):")
    lines: list[str] = []
    while True:
        text = line()
        if not text:
            return "\n".join(lines)
        lines.append(text)


def resolve_content(ctx: Context) -> None:
    """Fill the command's content from files, stdin or prompts; refuse it from argv."""
    args = ctx.args
    spec: Content | None = getattr(args, "content", None)
    if spec is None:
        return
    in_argv = [
        f for f in spec.fields if _given(args, f) is not None and f.is_content(_given(args, f))
    ]
    if in_argv and not argv_allowed(ctx):
        raise CliError(_refusal(in_argv[0], spec))
    text_file = getattr(args, "text_file", None)
    fields_file = getattr(args, "fields_file", None)
    stdin_used = "-" in (text_file, fields_file)
    found: dict[str, Any] = {}
    if text_file is not None and spec.primary is not None:
        found[spec.primary] = read_content_file(text_file, spec.by_name[spec.primary].what)
    if fields_file is not None:
        where = "the fields on stdin" if fields_file == "-" else f"fields file {fields_file}"
        found = read_fields(read_content_file(fields_file, "fields"), spec, where)
    missing = [f for f in spec.fields if f.needed(args) and _given(args, f) is None]
    missing = [f for f in missing if f.name not in found]
    if missing and not stdin_used and text_file is None and fields_file is None:
        if sys.stdin is not None and sys.stdin.isatty():
            for f in missing:
                found[f.name] = _ask(f)
        else:
            text = _decode(_read_stdin(), "stdin")
            primary_missing = any(f.name == spec.primary for f in missing)
            if spec.multi and (_looks_like_fields(text, spec) or not primary_missing):
                found.update(read_fields(text, spec, "the fields on stdin"))
            elif text and spec.primary is not None:
                found[spec.primary] = text
            elif text:
                found[missing[0].name] = text
    _apply(args, spec, found)
    for f in spec.fields:
        if f.needed(args) and _given(args, f) is None:
            how = (
                "--text-file FILE"
                if f.name == spec.primary
                else f"a '{f.name}:' line in --fields-file FILE"
            )
            raise CliError(
                f"no {f.what} given: give it with {how}, or run in a terminal to be asked"
            )


def _apply(args: argparse.Namespace, spec: Content, found: dict[str, Any]) -> None:
    for name in found:
        f = spec.by_name.get(name)
        if f is not None and _given(args, f) is not None:
            raise CliError(f"{f.spelled} is given twice (as an argument and in a file)")
        if f is not None and f.plain is not None and getattr(args, f.dest, None) is not None:
            raise CliError(f"the {f.what} does not go with '{getattr(args, f.dest)}'")
    if spec.into is not None:
        if found:
            if getattr(args, spec.into, None) is not None:
                raise CliError("give the fields once: --data or --fields-file, not both")
            setattr(args, spec.into, json.dumps(found, ensure_ascii=False))
        return
    for name, value in found.items():
        f = spec.by_name.get(name)
        setattr(args, f.dest if f is not None else name, value)


def content_fields(parser: argparse.ArgumentParser) -> Sequence[Field]:
    """The content a parser's command takes (for tests that walk every command)."""
    spec = parser.get_default("content")
    return spec.fields if isinstance(spec, Content) else ()
