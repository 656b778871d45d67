"""Reading, validating and writing snapshots: the one input of every audit.

Three shapes are accepted: a golive snapshot (plain or gzipped), the JSON that
`az graph query -q "resources" -o json` prints, and a plain JSON array of ARM resources.
The last two carry no coverage, so the snapshot records how much of it is known.
"""

from __future__ import annotations

import copy
import glob
import gzip
import json
import os
import re
import tempfile
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cache
from importlib import resources as importlib_resources
from pathlib import Path
from typing import Any

from auditor import __version__, leftovers
from auditor.model import InputError

SNAPSHOT_VERSION = "1"

#: How much of the coverage a snapshot knows. "complete": every type the collector read is listed.
#: "top-level": Resource Graph output lists every top-level resource, but no child or extension ones.
#: "unknown": a plain array of resources, whose absence proves nothing.
COVERAGE_COMPLETE = "complete"
COVERAGE_TOP_LEVEL = "top-level"
COVERAGE_UNKNOWN = "unknown"


@dataclass
class Snapshot:
    scope: dict[str, Any]
    resources: list[dict[str, Any]]
    coverage: list[dict[str, Any]] = field(default_factory=list)
    coverage_mode: str = COVERAGE_COMPLETE
    source: str = ""
    source_format: str = "snapshot"

    def to_document(self) -> dict[str, Any]:
        return {
            "snapshotVersion": SNAPSHOT_VERSION,
            "scope": self.scope,
            "resources": self.resources,
            "coverage": self.coverage,
        }


@cache
def load_schema(name: str) -> dict[str, Any]:
    text = importlib_resources.files("auditor.schemas").joinpath(name).read_text(encoding="utf-8")
    return json.loads(text)


@cache
def _compiled_validator(name: str) -> Any:
    import fastjsonschema  # compiled once per process; 100,000 resources validate in well under a second

    # compile() rewrites the $refs it resolves: give it a copy, so the cached schema stays as written.
    return fastjsonschema.compile(copy.deepcopy(load_schema(name)))


def validate_document(document: Any, schema_name: str, source: str) -> None:
    import fastjsonschema

    try:
        _compiled_validator(schema_name)(document)
    except fastjsonschema.JsonSchemaValueException as exc:
        where = _format_path(exc.path) if exc.path else None
        message = exc.message.replace(exc.name, "value", 1) if exc.name else exc.message
        if exc.rule == "pattern" and where and where.endswith(".type") and isinstance(exc.value, str):
            # Microsoft.KeyVault/vaults/ would match no check's type and vanish from the audit.
            message = f"{exc.value!r} is not an ARM resource type (Namespace/type, no empty or trailing segment)"
        raise InputError(source, f"does not match the snapshot schema: {message}", where) from None


def _format_path(path: list[str]) -> str:
    parts = [p for p in path if p != "data"]
    out = ""
    for part in parts:
        out += f"[{part}]" if part.isdigit() else (f".{part}" if out else part)
    return out or "document"


def read_input(path: str | os.PathLike[str]) -> bytes:
    """The bytes of an input file, or a one-line InputError that names the file and the problem."""
    name = str(path)
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        raise InputError(name, "no such file") from None
    except IsADirectoryError:
        raise InputError(name, "is a directory, not a file") from None
    except PermissionError:
        raise InputError(name, "permission denied") from None
    except OSError as exc:
        raise InputError(name, f"cannot be read: {exc.strerror or exc}") from None


#: The largest snapshot (its JSON text, after gzip) read unless --max-snapshot-mb says otherwise.
#: A 4 MB gzip file can expand to 4 GB; parsed, a snapshot takes about 4x its size in memory.
DEFAULT_MAX_SNAPSHOT_MB = 1024
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def read_json_file(path: str | os.PathLike[str], max_mb: float = DEFAULT_MAX_SNAPSHOT_MB) -> Any:
    """Read a JSON file, gzipped or not, turning every failure into a one-line InputError.

    The bytes are decoded and let go before parsing, so that the peak is the text plus the parsed
    objects, not the bytes too."""
    name = str(path)
    limit = int(max_mb * 2**20)
    raw = read_input(path)
    if raw[:2] == b"\x1f\x8b":
        raw = _gunzip(raw, name, limit)
    elif len(raw) > limit:
        raise _too_large(name, limit)
    if not raw or raw.isspace():
        raise InputError(name, "is empty")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(name, "is not UTF-8 text") from None
    del raw
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except _NotJson as exc:
        raise InputError(name, f"is not valid JSON: {exc}") from None
    except json.JSONDecodeError as exc:
        raise InputError(name, f"is not valid JSON: {exc.msg}", f"line {exc.lineno}, column {exc.colno}") from None
    except RecursionError:
        raise InputError(name, "is nested too deeply to be a snapshot") from None
    except MemoryError:
        raise InputError(name, "is too large to parse in the memory available") from None
    if _SURROGATE_ESCAPE.search(text):  # only a \\uD800-\\uDFFF escape can make a lone surrogate
        del text
        reject_lone_surrogates(document, name)
    return document


def _gunzip(raw: bytes, name: str, limit: int) -> bytes:
    """Decompress every gzip member, refusing to expand beyond `limit` bytes."""
    out: list[bytes] = []
    size = 0
    data = raw
    try:
        while data:
            inflater = zlib.decompressobj(wbits=31)
            chunk = inflater.decompress(data, limit + 1 - size)
            size += len(chunk)
            out.append(chunk)
            if size > limit:
                raise _too_large(name, limit)
            if not inflater.eof:
                if inflater.unconsumed_tail:  # more output waits: it would pass the cap
                    raise _too_large(name, limit)
                raise EOFError("truncated")
            data = inflater.unused_data.lstrip(b"\x00")  # members may be padded with zeros
    except zlib.error as exc:
        raise InputError(name, f"is not a valid gzip file ({exc})") from None
    except EOFError as exc:
        raise InputError(name, f"is not a valid gzip file ({exc})") from None
    return b"".join(out)


def _too_large(name: str, limit: int) -> InputError:
    return InputError(
        name, f"holds more than {limit / 2**20:g} MB of JSON; raise the cap with --max-snapshot-mb if this is intended"
    )


def reject_lone_surrogates(document: Any, name: str) -> None:
    """A \\ud800 without its pair parses into a str that cannot be written as UTF-8: every report
    writer and hash would fail on it. Named by its path, as bad input."""
    stack: list[tuple[Any, str]] = [(document, "")]
    while stack:
        value, where = stack.pop()
        if isinstance(value, str):
            found = _SURROGATE.search(value)
            if found:
                problem = f"holds a lone surrogate (\\u{ord(found.group()):04x}), which is not text"
                raise InputError(name, problem, where or None)
        elif isinstance(value, dict):
            for key, item in value.items():
                if _SURROGATE.search(key):
                    raise InputError(name, "holds a lone surrogate in a key, which is not text", where or None)
                stack.append((item, f"{where}.{key}" if where else key))
        elif isinstance(value, list):
            stack.extend((item, f"{where}[{index}]") for index, item in enumerate(value))


class _NotJson(Exception):
    pass


def _reject_constant(token: str) -> Any:
    """Python's parser accepts NaN and Infinity; JSON does not, and no report may carry them."""
    raise _NotJson(f"{token} is not a JSON value")


def load(path: str | os.PathLike[str], max_mb: float = DEFAULT_MAX_SNAPSHOT_MB) -> Snapshot:
    name = str(path)
    document = read_json_file(path, max_mb)
    share_repeated_strings(document)
    return from_document(document, name)


SHARED_STRINGS_KEPT = 1 << 20


def share_repeated_strings(document: Any) -> None:
    """Make equal string values one object. The parser gives each occurrence its own copy, and a
    snapshot repeats most of its values (types, locations, states, SKUs, the ids that resources
    reference): in memory, strings take about as much as the objects that hold them. One pass,
    in place, iterative (nesting depth costs no stack); dict keys the parser already shares.

    The index of distinct strings costs about 40 bytes each while the pass runs: past
    SHARED_STRINGS_KEPT of them (a snapshot of mostly unique strings), no new one is added, so
    that the pass never needs more memory than the text it was parsed from."""
    memo: dict[str, str] = {}
    shared = memo.setdefault
    stack: list[Any] = [document]
    while stack:
        node = stack.pop()
        if len(memo) >= SHARED_STRINGS_KEPT:
            shared = memo.get
        if type(node) is dict:
            for key, value in node.items():
                kind = type(value)
                if kind is str:
                    node[key] = shared(value, value)  # a value replaced, no key added: safe while iterating
                elif kind is dict or kind is list:
                    stack.append(value)
        elif type(node) is list:
            for index, value in enumerate(node):
                kind = type(value)
                if kind is str:
                    node[index] = shared(value, value)
                elif kind is dict or kind is list:
                    stack.append(value)


def from_document(document: Any, source: str) -> Snapshot:
    if isinstance(document, list):
        return _from_resource_list(document, source, COVERAGE_UNKNOWN, "resource-array")
    if not isinstance(document, dict):
        raise InputError(source, "is neither a golive snapshot nor a list of ARM resources")
    if "snapshotVersion" in document:
        version = document["snapshotVersion"]
        if not isinstance(version, str):  # 1 and "1" print alike; say which type was found
            raise InputError(source, f"snapshotVersion must be the string {SNAPSHOT_VERSION!r}, not {version!r}")
        if version != SNAPSHOT_VERSION:
            raise InputError(source, f"has snapshotVersion {version!r}; this golive reads version {SNAPSHOT_VERSION!r}")
        validate_document(document, "snapshot.schema.json", source)
        _reject_duplicate_ids(document["resources"], source)
        return Snapshot(
            scope=document["scope"],
            resources=document["resources"],
            coverage=document["coverage"],
            source=source,
        )
    if isinstance(document.get("data"), list) and ({"count", "total_records", "skip_token"} & document.keys()):
        return _from_resource_list(document["data"], source, COVERAGE_TOP_LEVEL, "resource-graph")
    if "resources" in document or "scope" in document:
        raise InputError(source, "has no snapshotVersion; is it a golive snapshot?")
    raise InputError(source, "is neither a golive snapshot nor a list of ARM resources")


def _from_resource_list(items: list[Any], source: str, mode: str, source_format: str) -> Snapshot:
    document = {
        "snapshotVersion": SNAPSHOT_VERSION,
        "scope": {"subscriptions": [], "collectedAt": "", "tool": {"name": source_format, "version": ""}},
        "resources": items,
        "coverage": [],
    }
    validate_document(document, "snapshot.schema.json", source)
    _reject_duplicate_ids(items, source)
    subscriptions = sorted({r["id"].split("/")[2].lower() for r in items})
    tenants = sorted({r["tenantId"] for r in items if isinstance(r.get("tenantId"), str)})
    document["scope"]["subscriptions"] = [{"subscriptionId": s, "displayName": None} for s in subscriptions]
    document["scope"]["tenantId"] = tenants[0] if len(tenants) == 1 else None
    return Snapshot(
        scope=document["scope"],
        resources=items,
        coverage=[],
        coverage_mode=mode,
        source=source,
        source_format=source_format,
    )


def _reject_duplicate_ids(resources: list[dict[str, Any]], source: str) -> None:
    """Two entries with one id (ARM ids are case-insensitive) would be judged twice, with one
    fingerprint, and which of them is the truth cannot be known."""
    first: dict[str, int] = {}
    for index, raw in enumerate(resources):
        key = raw["id"].lower().rstrip("/")
        if key in first:
            raise InputError(source, f"repeats the id of resources[{first[key]}]", f"resources[{index}].id")
        first[key] = index


def new_scope(subscriptions: list[dict[str, Any]], tenant_id: str | None, cloud: str = "AzureCloud") -> dict[str, Any]:
    return {
        "tenantId": tenant_id,
        "cloud": cloud,
        "collectedAt": datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "subscriptions": subscriptions,
        "tool": {"name": "golive", "version": __version__},
    }


def write_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write beside the target, then rename: Ctrl-C or a crash leaves the old file or none, never half."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = temp_beside(target)
    except OSError as exc:  # the output dir is a file, read-only, ...: one line, not a traceback
        blocker = next((p for p in target.parents if p.exists()), None)
        problem = f"{blocker} is not a directory" if blocker and not blocker.is_dir() else exc.strerror or exc
        raise InputError(str(target), f"cannot be written: {problem}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; reports are meant to be shared
            os.replace(tmp, target)  # while the lock is held: no cleaner takes it for abandoned
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):  # a full disk, a directory in the target's place
            raise InputError(str(target), f"cannot be written: {exc.strerror or exc}") from None
        raise


def temp_beside(target: Path) -> tuple[int, str]:
    """A new temporary file beside `target`, locked for as long as its descriptor is open, after
    removing the ones a run killed outright (kill -9, a power cut) left there: those are the only
    ones nobody holds."""
    abandoned = list(target.parent.glob(f".{glob.escape(target.name)}.*.tmp"))
    leftovers.remove_unheld(abandoned, lambda entry: entry.unlink(missing_ok=True))
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    leftovers.hold(fd)
    return fd, tmp


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def save(snapshot: Snapshot, path: str | os.PathLike[str]) -> None:
    document = snapshot.to_document()
    validate_document(document, "snapshot.schema.json", str(path))
    data = json.dumps(document, indent=1, sort_keys=False).encode("utf-8")
    if str(path).endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    write_atomic(path, data)
