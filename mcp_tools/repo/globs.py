"""Glob matching for find_files in time linear in the path: a hostile glob cannot stall the server.

Globs are gitignore-style: `*`, `?` and `[...]` (`[!...]` or `[^...]` negates) stay within a folder,
`**` crosses folders (`**/` also matches no folder at all), and a pattern without `/` matches the file name
at any depth; with a `/` it is anchored at the searched folder. A backslash is an ordinary character.

A glob is parsed once into tokens and turned into a regular expression. The old translation let Python's
backtracking `re` try every way of splitting a name between the stars, so `*a*a*a*a*a*a*b` against 115
`a`s took seconds per name. Here each match is linear in the path (times the glob's length), because
nothing is placed twice:
- Between two stars, the text in between is placed once, inside an atomic group, at its leftmost place
  (as `fnmatch` does since CPython 3.11): the next star can absorb whatever an earlier placement left
  over, so the leftmost one is as good as any. Stars within a folder never cross a `/`, so each folder
  level is matched on its own.
- The same one level up: between two `**/`, the folders in between are placed at the first folder where
  they fit. One star crossing folders is left free: the last `**/`, or a bare `**` after all of them with
  no `*` after it (`src/**.py`). Alone, it tries each place in the path once.
- Other globs (rare: `**/` inside a name as in `x**/y`, two bare `**`, a `*` after a bare `**`) would
  retry stars for each choice of another. They run on RE2, whose automaton is linear in the path whatever
  the pattern (`_python_is_linear` decides). Python's `re` stays in front for the rest because it is
  about three times cheaper per call than RE2's binding, and find_files filters up to about 200,000
  paths per call.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

import re2

from mcp_tools.failure import ToolFailure
from mcp_tools.re2_engine import quiet_options, refusal

__all__ = ["MAX_GLOB", "glob_matcher"]

# Far above any real glob; keeps the cost of one match (path length times glob length) small.
MAX_GLOB = 1024


class _Star(Enum):
    IN_FOLDER = "*"  # [^/]*
    ANY = "**"  # .*  (a `**` not followed by `/`)
    FOLDERS = "**/"  # (?:.*/)?  zero or more whole folders


@dataclass(frozen=True)
class _Chars:
    """One character from a set of inclusive code point ranges; `negated` means any character but these.
    It never matches `/`."""

    ranges: tuple[tuple[int, int], ...]
    negated: bool = False


_Token = _Star | _Chars | str  # a str token is one literal character (possibly `/`)
_ANY_BUT_SLASH = _Chars((), negated=True)
_SLASH = ord("/")


def glob_matcher(pattern: str) -> Callable[[str], bool]:
    """A predicate telling whether a path (relative, `/`-separated, no line breaks) matches `pattern`.
    Raises ToolFailure for a glob that cannot be used (too long, a reversed range like `[z-a]`)."""
    return _build(pattern, force_re2=False)


def _build(pattern: str, *, force_re2: bool) -> Callable[[str], bool]:
    if len(pattern) > MAX_GLOB:
        raise ToolFailure(f"the glob is {len(pattern)} characters long; at most {MAX_GLOB} are allowed")
    text = pattern.strip("/")
    anchored = "/" in text
    tokens = _tokens(text, pattern)
    if not anchored:
        # Only the file name is matched, and it holds no `/`: there `**` is `*`.
        tokens = [_Star.IN_FOLDER if t is _Star.ANY else t for t in tokens]
    tokens = _merge_stars(tokens)
    if any(isinstance(t, _Chars) and _never_matches(t) for t in tokens):
        return lambda path: False  # e.g. `[/]`: a class never matches `/`, so nothing can match
    if _python_is_linear(tokens) and not force_re2:
        compiled = re.compile(_regex(tokens, atomic=True), re.DOTALL)
        matches: Callable[[str], object] = compiled.fullmatch
    else:
        matches = _re2_matcher(_regex(tokens, atomic=False), pattern)
    if anchored:
        return lambda path: matches(path) is not None
    return lambda path: matches(path.rpartition("/")[2]) is not None


def _python_is_linear(tokens: list[_Token]) -> bool:
    """Whether `_regex(tokens, atomic=True)` leaves Python's `re` only one star crossing folders to
    retry, and nothing behind it that multiplies: every `**/` starts a folder level, and a bare `**`
    comes after all of them with no `*` after it (`src/**.py`)."""
    crossed = False
    for i, token in enumerate(tokens):
        if token is _Star.FOLDERS and (crossed or (i > 0 and tokens[i - 1] != "/")):
            return False
        if token is _Star.ANY or (token is _Star.IN_FOLDER and crossed):
            if crossed:
                return False
            crossed = True
    return True


def _tokens(text: str, pattern: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(text):
        if text.startswith("**/", i):
            tokens.append(_Star.FOLDERS)
            i += 3
        elif text.startswith("**", i):
            tokens.append(_Star.ANY)
            i += 2
        elif text[i] == "*":
            tokens.append(_Star.IN_FOLDER)
            i += 1
        elif text[i] == "?":
            tokens.append(_ANY_BUT_SLASH)
            i += 1
        elif text[i] == "[" and (parsed := _bracket(text, i, pattern)) is not None:
            chars, i = parsed
            tokens.append(chars)
        else:
            tokens.append(text[i])
            i += 1
    return tokens


def _bracket(text: str, start: int, pattern: str) -> tuple[_Chars, int] | None:
    """The class opening at `text[start] == "["` and the index after it, or None when it never closes
    (then `[` is an ordinary character). A `]` first in the class (after any `!`/`^`) is a member."""
    j = start + 1
    negated = j < len(text) and text[j] in "!^"
    if negated:
        j += 1
    end = text.find("]", j + 1)
    if end < 0:
        return None
    body = text[j:end]
    ranges: list[tuple[int, int]] = []
    k = 0
    while k < len(body):
        if k + 2 < len(body) and body[k + 1] == "-":
            low, high = body[k], body[k + 2]
            if low > high:
                backwards = f"the glob {pattern!r} has the range {low}-{high}, which runs backwards"
                raise ToolFailure(f"{backwards}; write {high}-{low}")
            ranges.append((ord(low), ord(high)))
            k += 3
        else:
            ranges.append((ord(body[k]), ord(body[k])))
            k += 1
    return _Chars(tuple(ranges), negated), end + 1


def _never_matches(chars: _Chars) -> bool:
    return not chars.negated and all(low == high == _SLASH for low, high in chars.ranges)


def _merge_stars(tokens: list[_Token]) -> list[_Token]:
    """Adjacent stars as one: `***`, `**/**` and the like match what a single `**` matches, and each
    star kept would be one more place to backtrack."""
    merged: list[_Token] = []
    for token in tokens:
        previous = merged[-1] if merged else None
        if isinstance(token, _Star) and isinstance(previous, _Star):
            if token is _Star.ANY or previous is _Star.ANY:
                merged[-1] = _Star.ANY
            elif token is previous:
                pass  # `*` twice cannot arise; `**/**/` is `**/`
            else:
                merged.append(token)  # `**/` then `*`: both needed
            continue
        merged.append(token)
    return merged


def _regex(tokens: list[_Token], *, atomic: bool) -> str:
    """The expression for the whole text, in the syntax Python's `re` and RE2 share. With `atomic`, every
    `**/` but the one star left free (the last `**/`, or a bare `**` after it) places the folders after
    it at the first folder where they fit, and never again: the next star absorbs any folders a later
    place would have skipped."""
    if not atomic:
        return "".join(_atom(t) for t in tokens)
    parts: list[list[_Token]] = [[]]
    for token in tokens:
        if token is _Star.FOLDERS:
            parts.append([])
        else:
            parts[-1].append(token)
    free: list[_Token] = []  # the free star and what follows it
    if len(parts) > 1 and _Star.ANY in parts[-1]:
        cut = parts[-1].index(_Star.ANY)
        parts[-1], free = parts[-1][:cut], parts[-1][cut:]
    elif len(parts) > 1:
        free = [_Star.FOLDERS, *parts.pop()]
    # Before a bare `**` a part's end is not pinned by a `/`: it must end at its leftmost place too.
    open_end = bool(free) and free[0] is _Star.ANY
    last = len(parts) - 1
    placed = "".join(
        f"(?>(?:[^/]*/)*?{_level(part, open_end and k == last)})" for k, part in enumerate(parts) if k
    )
    return _level(parts[0]) + placed + _level(free)


def _level(tokens: list[_Token], open_end: bool = False) -> str:
    """Tokens holding no `**/`, with each text between two stars placed once: at its leftmost place, or
    anywhere (greedy, which Python's `re` finds faster) when the next `*` ends its folder level and so
    takes whatever is left of it. `open_end`: a bare `**` follows the tokens."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token is _Star.IN_FOLDER:
            j = i + 1
            while j < len(tokens) and not isinstance(tokens[j], _Star) and tokens[j] != "/":
                j += 1
            following = tokens[j] if j < len(tokens) else (_Star.ANY if open_end else None)
            if following in (_Star.IN_FOLDER, _Star.ANY) and j > i + 1:
                chunk = "".join(_atom(t) for t in tokens[i + 1 : j])
                ends_level = following is _Star.IN_FOLDER and tokens[j + 1 : j + 2] in ([], ["/"])
                out.append(f"(?>[^/]*{chunk})" if ends_level else f"(?>[^/]*?{chunk})")
                i = j
                continue
        out.append(_atom(token))
        i += 1
    return "".join(out)


def _atom(token: _Token) -> str:
    if token is _Star.IN_FOLDER:
        return "[^/]*"
    if token is _Star.ANY:
        return ".*"
    if token is _Star.FOLDERS:
        return "(?:.*/)?"
    if isinstance(token, _Chars):
        members = "".join(_char(lo) if lo == hi else f"{_char(lo)}-{_char(hi)}" for lo, hi in _ranges(token))
        return f"[^/{members}]" if token.negated else f"[{members}]"
    return _char(ord(token))


def _ranges(chars: _Chars) -> list[tuple[int, int]]:
    """The ranges with `/` cut out of any that holds it (a negated class excludes it anyway)."""
    if chars.negated:
        return list(chars.ranges)
    kept: list[tuple[int, int]] = []
    for low, high in chars.ranges:
        if low <= _SLASH <= high:
            kept += [(lo, hi) for lo, hi in ((low, _SLASH - 1), (_SLASH + 1, high)) if lo <= hi]
        else:
            kept.append((low, high))
    return kept


def _char(code: int) -> str:
    """One character as both engines read it: ASCII punctuation and controls as `\\xHH`, the rest as is."""
    char = chr(code)
    if code < 0x80 and not char.isalnum():
        return f"\\x{code:02x}"
    return char


def _re2_matcher(expression: str, pattern: str) -> Callable[[str], object]:
    options = quiet_options()
    options.dot_nl = True
    try:
        compiled = re2.compile(expression, options)
    except (re2.error, UnicodeEncodeError) as err:
        raise ToolFailure(f"the glob {pattern!r} cannot be used ({refusal(err)}); simplify it") from None

    def matches(path: str) -> object:
        # A lone surrogate cannot be UTF-8; as `?` it still counts as one character.
        return compiled.fullmatch(path.encode("utf-8", "replace"))

    return matches
