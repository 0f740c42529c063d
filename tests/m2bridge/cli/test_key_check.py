"""The region advice `doctor` gives when a MiniMax host rejects the key."""

from m2bridge.cli.key_check import region_advice
from m2bridge.config import CHINA_HOST, GLOBAL_HOST, Settings


def test_a_key_rejected_by_the_global_host_is_pointed_at_the_china_host() -> None:
    advice = region_advice(Settings(host=GLOBAL_HOST))
    assert advice == "if it is from the China platform set MINIMAX_API_HOST=https://api.minimaxi.com"


def test_a_key_rejected_by_the_china_host_is_pointed_at_the_global_host() -> None:
    advice = region_advice(Settings(host=CHINA_HOST))
    assert advice == "if it is from the global platform set MINIMAX_API_HOST=https://api.minimax.io"


def test_a_custom_host_names_both_regions_hosts() -> None:
    advice = region_advice(Settings(host="http://127.0.0.1:8000"))
    assert f"MINIMAX_API_HOST={GLOBAL_HOST}" in advice and f"MINIMAX_API_HOST={CHINA_HOST}" in advice
