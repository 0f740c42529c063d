"""The one conversation service every surface runs its turns through, and the turn result's encoders."""

from m2bridge.conversation.control import TurnControl
from m2bridge.conversation.handle import Conversation, EventSink
from m2bridge.conversation.schema import TURN_FIELDS, camel_case, recased, turn_to_camel, turn_to_snake
from m2bridge.conversation.service import ConversationService
from m2bridge.conversation.tool_slot import ToolOpener, ToolSource

__all__ = [
    "TURN_FIELDS",
    "Conversation",
    "ConversationService",
    "EventSink",
    "ToolOpener",
    "ToolSource",
    "TurnControl",
    "camel_case",
    "recased",
    "turn_to_camel",
    "turn_to_snake",
]
