"""API Management policy XML: parsing, fragment expansion and `<base/>` inheritance.

The effective inbound policy of an operation is built from the most specific scope outwards:
operation, API, product, global. Each scope's `<base/>` pulls in the next one; a scope whose
inbound section has no `<base/>` cuts off everything above it. A scope with no policy document
behaves as `<inbound><base/></inbound>`. A policy under `<choose>` applies to every request only
when each `<when>` and an `<otherwise>` hold one (`always_applied`).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from auditor.api import DataError

_FORBIDDEN = re.compile(r"<!(DOCTYPE|ENTITY)", re.I)
_MAX_FRAGMENT_DEPTH = 5


@dataclass(frozen=True)
class Scope:
    """One level of the inheritance chain: its label for evidence, and its policy XML (or None)."""

    label: str
    xml: str | None


@dataclass(frozen=True)
class Found:
    scope: str
    element: ET.Element


def _escape_expressions(text: str) -> str:
    """Policy expressions (@(...) and @{...}) are C#, and in rawxml they are not XML-escaped:
    escape <, >, & and quotes inside them so that the document parses (an expression in an
    attribute may hold the attribute's own quote character)."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] == "@" and i + 1 < n and text[i + 1] in "({":
            closing = {"(": ")", "{": "}"}
            stack = [closing[text[i + 1]]]
            out.append(text[i : i + 2])
            i += 2
            quote = ""
            while i < n and stack:
                ch = text[i]
                if quote:
                    if ch == "\\" and i + 1 < n:
                        out.append(_escape_char(ch) + _escape_char(text[i + 1]))
                        i += 2
                        continue
                    if ch == quote:
                        quote = ""
                elif ch in "\"'":
                    quote = ch
                elif ch in "({[":
                    stack.append({"(": ")", "{": "}", "[": "]"}[ch])
                elif ch in ")}]" and stack and ch == stack[-1]:
                    stack.pop()
                out.append(_escape_char(ch))
                i += 1
            continue
        out.append(text[i])
        i += 1
    return "".join(out)


_XML_ESCAPES = {"<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;"}


def _escape_char(ch: str) -> str:
    return _XML_ESCAPES.get(ch, ch)


def policy_text(value: object, fmt: object, where: str) -> str:
    """The XML of a policy or fragment resource. Both `xml` (expressions escaped) and `rawxml`
    parse here; the `-link` formats hold a URL that golive does not fetch."""
    if isinstance(fmt, str) and fmt.lower().endswith("-link"):
        raise DataError(f"the policy at {where} is stored as a link ({fmt}), which golive does not follow")
    if not isinstance(value, str):
        raise DataError(f"the policy at {where} has no XML in properties.value")
    return value


def parse(xml: str, where: str) -> ET.Element:
    if _FORBIDDEN.search(xml):
        raise DataError(f"the policy at {where} declares a DOCTYPE or entity; golive does not expand them")
    for candidate in (xml, _escape_expressions(xml)):
        try:
            return ET.fromstring(candidate)
        except ET.ParseError:
            continue
    raise DataError(f"the policy at {where} is not well-formed XML")


#: Fragments that include each other many times fan out (20 includes 5 deep is 3.2 million
#: elements): each fragment is expanded once per policy, and the elements a policy expands to are capped.
MAX_EXPANDED_ELEMENTS = 10_000


@dataclass
class _Expansion:
    """The fragments one policy section has expanded so far, and how many elements they gave."""

    done: dict[str, list[ET.Element]] = field(default_factory=dict)
    elements: int = 0


def expand_fragments(
    section: ET.Element,
    fragment: Callable[[str], str | None],
    where: str,
    depth: int = 0,
    state: _Expansion | None = None,
) -> list[ET.Element]:
    """The children of a policy section with every <include-fragment> replaced by its content."""
    state = state if state is not None else _Expansion()
    out: list[ET.Element] = []
    for child in section:
        if child.tag != "include-fragment":
            out.append(child)
            state.elements += 1
        else:
            if depth >= _MAX_FRAGMENT_DEPTH:
                raise DataError(f"policy fragments nest deeper than {_MAX_FRAGMENT_DEPTH} at {where}")
            fragment_id = child.get("fragment-id", "")
            expanded = state.done.get(fragment_id.lower())
            if expanded is None:
                text = fragment(fragment_id)
                if text is None:
                    raise DataError(f"the policy fragment {fragment_id!r} used at {where} is not in the snapshot")
                parsed = parse(text, f"fragment {fragment_id}")
                expanded = expand_fragments(parsed, fragment, where, depth + 1, state)
                state.done[fragment_id.lower()] = expanded
            out.extend(expanded)
            state.elements += len(expanded)
        if state.elements > MAX_EXPANDED_ELEMENTS:
            raise DataError(
                f"the policy at {where} expands to more than {MAX_EXPANDED_ELEMENTS} elements through its "
                "fragments; golive does not judge a policy that large"
            )
    return out


def _walk(elements: list[ET.Element]) -> Iterator[ET.Element]:
    for element in elements:
        yield element
        yield from _walk(list(element))


@dataclass(frozen=True)
class Section:
    """The inbound policy elements one scope contributes, fragments expanded, as written."""

    scope: str
    elements: list[ET.Element]


def effective_sections(chain: list[Scope], fragment: Callable[[str], str | None]) -> list[Section]:
    """The inbound sections that apply to a request, most specific scope first."""
    sections: list[Section] = []
    for scope in chain:
        if scope.xml is None:
            continue
        root = parse(scope.xml, scope.label)
        inbound = root.find("inbound")
        if inbound is None:
            continue  # a document without an inbound section keeps inheriting
        elements = expand_fragments(inbound, fragment, scope.label)
        sections.append(Section(scope.label, elements))
        if not any(e.tag == "base" for e in _walk(elements)):
            break
    return sections


def found_in(sections: list[Section]) -> list[Found]:
    """Every inbound policy element of the sections, with the scope it came from, most specific
    first, whether or not a condition guards it."""
    return [Found(section.scope, e) for section in sections for e in _walk(section.elements) if e.tag != "base"]


def _always(elements: list[ET.Element], wanted: set[str]) -> ET.Element | None:
    """An element of `wanted` that every request passing through `elements` meets. Inside <choose>
    that takes one in every <when> and an <otherwise>; other containers (retry, wait,
    limit-concurrency) run their children."""
    for element in elements:
        if element.tag in wanted:
            return element
        if element.tag == "choose":
            branches = [b for b in element if b.tag in ("when", "otherwise")]
            if any(b.tag == "otherwise" for b in branches):
                hits = [_always(list(b), wanted) for b in branches]
                if all(hit is not None for hit in hits):
                    return hits[0]
        elif len(element):
            hit = _always(list(element), wanted)
            if hit is not None:
                return hit
    return None


def always_applied(sections: list[Section], wanted: set[str]) -> Found | None:
    """The first element of `wanted` that applies to every request, whatever the conditions. A
    scope whose `<base/>` sits in one branch of a `<choose>` inherits the scopes above it only on
    that branch, so their policies do not apply to every request."""
    for section in sections:
        hit = _always(section.elements, wanted)
        if hit is not None:
            return Found(section.scope, hit)
        if _always(section.elements, {"base"}) is None:
            return None  # the scopes above apply only on some branches, or not at all
    return None
