from __future__ import annotations

import os
import time
from pathlib import Path

from mcp_tools.budget import HeadTail, Spill, clip


def test_clip_keeps_head_and_tail_and_spills_the_whole(tmp_path: Path) -> None:
    spill = Spill(tmp_path / "spill")
    text = "".join(f"line {n}\n" for n in range(10_000))
    clipped = clip(text, 1000, spill, "label")
    assert clipped.startswith("line 0\n") and clipped.rstrip().endswith("line 9999")
    assert len(clipped) < 1300
    (whole,) = spill.folder.iterdir()
    assert whole.read_text() == text and str(whole) in clipped


def test_head_tail_counts_what_it_drops_and_writes_everything_to_the_sink(tmp_path: Path) -> None:
    with open(tmp_path / "sink", "wb") as sink:
        collector = HeadTail(10, 10, sink)
        for n in range(100):
            collector.feed(f"{n:03d}\n".encode())
    assert collector.total == 400 and collector.truncated
    text = collector.text("the file")
    assert text.startswith("000\n001\n00") and text.endswith("098\n099\n") and "380 bytes omitted" in text
    assert (tmp_path / "sink").read_bytes() == b"".join(f"{n:03d}\n".encode() for n in range(100))


def test_prune_removes_only_old_spill_files_and_never_follows_links(tmp_path: Path) -> None:
    spill = Spill(tmp_path / "spill")
    old, new = spill.write("old", "x"), spill.write("new", "y")
    keep = tmp_path / "outside.txt"
    keep.write_text("z")
    link = spill.folder / "link.txt"
    os.symlink(keep, link)
    month_ago = time.time() - 30 * 86400
    for path in (old, keep):
        os.utime(path, (month_ago, month_ago))
    os.utime(link, (month_ago, month_ago), follow_symlinks=False)
    assert spill.prune() == 1
    assert not old.exists() and new.exists() and keep.exists() and link.is_symlink()
