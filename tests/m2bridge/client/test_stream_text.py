"""Incremental or cumulative chunks: decided from evidence over the whole stream, never one prefix match."""

import itertools

from hypothesis import given
from hypothesis import strategies as st

from m2bridge.client.stream_text import EVIDENCE_CHARS, EVIDENCE_CHUNKS, StreamKind


def chunked(text, sizes):
    """`text` cut into pieces of the given sizes (cycled), every piece non-empty."""
    pieces, at, i = [], 0, 0
    while at < len(text):
        size = sizes[i % len(sizes)]
        pieces.append(text[at : at + size])
        at, i = at + size, i + 1
    return pieces


def cumulative(pieces):
    return ["".join(pieces[: i + 1]) for i in range(len(pieces))]


def read(*streams):
    """Feed several fields of one stream, chunk by chunk in turn; return each field's text and
    what `take` handed out along the way (which must add up to the same text)."""
    kind = StreamKind()
    fields = [kind.field() for _ in streams]
    taken = ["" for _ in streams]
    for step in range(max(len(s) for s in streams)):
        for n, (field, stream) in enumerate(zip(fields, streams, strict=True)):
            if step < len(stream):
                field.feed(stream[step])
            taken[n] += field.take()
    kind.finish()
    taken = [t + f.take() for t, f in zip(taken, fields, strict=True)]
    return [f.text for f in fields], taken


def self_repeating(chunks):
    """The only incremental streams the cumulative reading can claim: EVIDENCE_CHUNKS chunks that each
    start with the whole chunk before them and add to it, repeating EVIDENCE_CHARS characters in all,
    before any chunk breaks the pattern."""
    extensions = repeated = 0
    for previous, chunk in itertools.pairwise(chunks):
        if not chunk.startswith(previous):
            return False
        if len(chunk) > len(previous):
            extensions, repeated = extensions + 1, repeated + len(previous)
            if extensions >= EVIDENCE_CHUNKS and repeated >= EVIDENCE_CHARS:
                return True
    return False


def test_a_second_chunk_that_starts_with_the_first_is_not_taken_as_cumulative():
    # The case: "1" then "10 files" looks cumulative once; the third chunk says otherwise.
    assert read(["1", "10 files", " found"]) == (["110 files found"], ["110 files found"])


def test_reasoning_details_items_with_a_repeating_start_keep_every_character():
    assert read(["Let", "Let me", " see"])[0] == ["LetLet me see"]


def test_a_short_stream_that_could_be_either_is_read_as_incremental():
    assert read(["Hel", "Hello", "Hello there"])[0] == ["HelHelloHello there"]


def test_cumulative_thinking_proves_the_kind_for_a_short_answer_in_the_same_stream():
    thinking = cumulative(chunked("I should list the files first, then count them all.", [8]))
    answer = cumulative(["All 25 n", "otes read."])
    assert read(thinking, answer)[0] == [
        "I should list the files first, then count them all.",
        "All 25 notes read.",
    ]


def test_one_contradicting_chunk_in_any_field_makes_the_whole_stream_incremental():
    assert read(["ab", "abc"], ["x", "y"])[0] == ["ababc", "xy"]


@given(st.text(max_size=300), st.lists(st.integers(1, 12), min_size=1, max_size=8))
def test_incremental_streams_are_mangled_only_when_they_repeat_themselves_beyond_chance(text, sizes):
    chunks = chunked(text, sizes)
    texts, taken = read(chunks)
    assert texts == taken
    assert texts == [text] or self_repeating(chunks)


@given(
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=300),
    st.lists(st.integers(1, 12), min_size=1, max_size=8),
)
def test_incremental_streams_of_unrepeated_text_are_never_mangled(text, sizes):
    # Distinct characters cannot repeat a whole earlier chunk, so no chunking looks cumulative.
    unique = "".join(dict.fromkeys(text))
    assert read(chunked(unique, sizes)) == ([unique], [unique])


@given(
    st.text(min_size=1, max_size=300),
    st.text(max_size=80),
    st.lists(st.integers(1, 12), min_size=1, max_size=8),
)
def test_cumulative_streams_as_the_fake_emits_them_are_reassembled_exactly(thinking, answer, sizes):
    # The fake repeats everything so far in every chunk of every field (chunk size 8 by default).
    thinking_chunks = cumulative(chunked(thinking, [8]))
    answer_chunks = cumulative(chunked(answer, sizes))
    texts, taken = read(thinking_chunks, answer_chunks)
    assert texts == taken
    # Past EVIDENCE_CHUNKS + 1 chunks of 8, the thinking alone has repeated 8 + 16 + 24 characters.
    assert EVIDENCE_CHARS <= 8 + 16 + 24
    if len(thinking) > 8 * EVIDENCE_CHUNKS:
        assert texts == [thinking, answer]
