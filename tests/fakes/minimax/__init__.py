"""A strict fake of MiniMax's model HTTP API (Anthropic- and OpenAI-compatible routes).

It scripts assistant turns and rejects any request whose history drops or alters an earlier
turn, because MiniMax-M2's interleaved thinking is only intact if it comes back byte-for-byte.
"""

from tests.fakes.minimax.fake import FakeMiniMax, Responder
from tests.fakes.minimax.ledger import EmittedTurn
from tests.fakes.minimax.request_info import RequestInfo
from tests.fakes.minimax.script import CallTools, Fault, Reply, Step
from tests.fakes.minimax.turns import default_thinking

__all__ = [
    "CallTools",
    "EmittedTurn",
    "FakeMiniMax",
    "Fault",
    "Reply",
    "RequestInfo",
    "Responder",
    "Step",
    "default_thinking",
]
