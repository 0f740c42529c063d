"""Streamed text fields of one OpenAI-protocol answer, whether chunks are incremental or cumulative.

m2-facts.md: vLLM and SGLang stream deltas (each chunk is only the new text). MiniMax's official example
for its hosted API treats `delta.content` and the reasoning text as if each chunk may carry the *whole
text so far*; that is unconfirmed, so a robust client handles both. The kind is one fact about the
whole stream, decided once for every field (content, reasoning, reasoning_content, each
reasoning_details item) and never from one prefix match:

- incremental, for certain, as soon as any field's chunk does not start with that field's previous
  chunk (a cumulative server always repeats everything it sent before);
- cumulative only on evidence no incremental text produces by chance: `EVIDENCE_CHUNKS` chunks that
  each repeat their field's whole previous chunk and add to it, repeating `EVIDENCE_CHARS` characters
  in all;
- a stream that ends undecided is incremental (keeping every character is the safe reading).

While undecided, text is held back from display (a few chunks at most in practice: an incremental
stream contradicts the cumulative reading almost at once, a cumulative one proves itself within the
first `EVIDENCE_CHUNKS` + 1 chunks of its thinking).
"""

from __future__ import annotations

from typing import Literal

__all__ = ["EVIDENCE_CHARS", "EVIDENCE_CHUNKS", "StreamKind", "StreamText"]

EVIDENCE_CHUNKS = 3
EVIDENCE_CHARS = 32

Kind = Literal["unknown", "incremental", "cumulative"]


class StreamKind:
    """Whether one stream's chunks are incremental or cumulative, shared by all its fields."""

    def __init__(self, kind: Kind = "unknown") -> None:
        self.kind: Kind = kind
        self._fields: list[StreamText] = []
        self._extensions = 0
        self._repeated = 0

    def field(self) -> StreamText:
        text = StreamText(self)
        self._fields.append(text)
        return text

    def finish(self) -> None:
        """The stream ended (or stopped): whatever is still undecided is incremental."""
        if self.kind == "unknown":
            self.decide("incremental")

    def extension(self, repeated: int) -> None:
        """A field's chunk repeated its previous `repeated` characters and added to them."""
        self._extensions += 1
        self._repeated += repeated
        if self._extensions >= EVIDENCE_CHUNKS and self._repeated >= EVIDENCE_CHARS:
            self.decide("cumulative")

    def decide(self, kind: Kind) -> None:
        """The stream's kind is known: every field settles the text it held back."""
        self.kind = kind
        for field in self._fields:
            field.settle()


class StreamText:
    """The full text of one streamed field. `feed` chunks; `take` returns text settled since last take."""

    def __init__(self, kind: StreamKind) -> None:
        self._kind = kind
        self._held: list[str] = []  # raw chunks while the stream's kind is unknown
        # Settled text as parts joined on demand: repeated concatenation of a long text is quadratic.
        self._parts: list[str] = []
        self._new: list[str] = []
        self.seen = False

    @property
    def text(self) -> str:
        if self._kind.kind == "unknown":
            self._kind.finish()
        if len(self._parts) > 1:
            self._parts = ["".join(self._parts)]
        return self._parts[0] if self._parts else ""

    def feed(self, piece: str) -> None:
        if not piece:
            return
        self.seen = True
        kind = self._kind
        if kind.kind == "unknown":
            previous = self._held[-1] if self._held else None
            self._held.append(piece)
            if previous is None:
                return
            if not piece.startswith(previous):
                kind.decide("incremental")
            elif len(piece) > len(previous):
                kind.extension(len(previous))
            return
        if kind.kind == "cumulative":
            current = self.text
            if piece.startswith(current):
                self._add(piece[len(current) :])
                return
            # Not the whole text so far: keep it rather than lose it.
        self._add(piece)

    def take(self) -> str:
        new, self._new = "".join(self._new), []
        return new

    def _add(self, text: str) -> None:
        if text:
            self._parts.append(text)
            self._new.append(text)

    def settle(self) -> None:
        """Move held chunks into the text, read as the stream's (now known) kind says."""
        held, self._held = self._held, []
        if not held:
            return
        if self._kind.kind == "cumulative":
            # Every held chunk repeated the one before it, so the last is the whole text.
            self._add(held[-1])
        else:
            for piece in held:
                self._add(piece)
