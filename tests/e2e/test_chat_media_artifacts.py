"""M2 calls a media tool from `m2bridge chat`: the files land on disk and the session lists them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.fakes.minimax import CallTools, Reply
from tests.support.env import m2_env, make_project, run_cli, run_json
from tests.support.sent import tool_results_sent


def test_an_image_made_in_chat_is_saved_and_listed_as_an_artifact(
    tmp_path: Path, fake_minimax: Any, fake_media: Any
) -> None:
    repo = make_project(tmp_path)
    # M2 through a base URL, the media API at MINIMAX_API_HOST: two fakes, as two hosts would be.
    env = m2_env(tmp_path, fake_minimax, "openai-think-tags", MINIMAX_API_HOST=fake_media.host)
    fake_minimax.script(CallTools([("text_to_image", {"prompt": "a red fox", "n": 2})]), Reply("Two foxes."))
    code, out = run_json(["chat", "-p", "draw a fox", "--yes", "--json"], env, repo)
    assert code == 0 and out["tool_calls"] == [{"name": "text_to_image", "ok": True}], out
    media = tmp_path / "home" / "media"
    saved = sorted(media.iterdir())
    assert len(saved) == 2 and all(p.read_bytes()[:2] == b"\xff\xd8" for p in saved)  # JPEG
    assert any(str(saved[0]) in r for r in tool_results_sent(fake_minimax))

    exported = json.loads(run_cli(["sessions", "export", out["session_id"]], env, repo).stdout)
    results = [
        r for t in exported["turns"] if t["turn"]["kind"] == "tool_results" for r in t["turn"]["results"]
    ]
    artifacts = results[0]["artifacts"]
    assert sorted(a["path"] for a in artifacts) == [str(p) for p in saved]
    assert all(a["kind"] == "image" and a["url"].startswith(fake_media.host) for a in artifacts)
    shown = run_cli(["sessions", "show", out["session_id"]], env, repo).stdout
    assert shown.count("▣ image: ") == 2
    as_json = json.loads(run_cli(["sessions", "show", out["session_id"], "--json"], env, repo).stdout)
    listed = [
        a["path"] for t in as_json["turns"] for r in t.get("results", []) for a in r.get("artifacts", [])
    ]
    assert sorted(listed) == [str(p) for p in saved]


def test_a_paid_media_call_is_refused_in_p_mode_without_yes(
    tmp_path: Path, fake_minimax: Any, fake_media: Any
) -> None:
    repo = make_project(tmp_path)
    env = m2_env(tmp_path, fake_minimax, "openai-think-tags", MINIMAX_API_HOST=fake_media.host)
    fake_minimax.script(CallTools([("text_to_image", {"prompt": "a red fox"})]), Reply("Not allowed."))
    code, out = run_json(["chat", "-p", "draw a fox", "--json"], env, repo)
    assert code == 0 and out["tool_calls"] == [{"name": "text_to_image", "ok": False}]
    assert not [r for r in fake_media.requests if r.path == "/v1/image_generation"]
