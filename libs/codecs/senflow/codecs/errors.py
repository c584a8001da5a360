"""Why a downlink command could not be encoded.

(`ScriptFailed`, the sandbox's own error, stays beside the engine in `script_engine`; a
DIY encoder turns it into an `EncodeFailed`.)
"""

from typing import Literal

from senflow.common.errors import SenflowError

EncodeReason = Literal[
    "unsupported-command",  # the encoder does not take this kind or shape of command
    "invalid-command",  # the command is of the right kind, but a value or field is wrong
    "script-error",  # a DIY script threw, did not build, or gave an unusable answer
    "script-timeout",  # a DIY script ran out of CPU time
    "script-memory",  # a DIY script ran out of memory or stack
]


class EncodeFailed(SenflowError):
    """A downlink command could not be encoded; never retriable, since an encoder is pure.

    `reason` is a short machine word (see `EncodeReason`), `detail` says what is wrong for
    a person, naming the record and field at fault where there is one.
    """

    retriable = False

    def __init__(self, reason: EncodeReason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason: EncodeReason = reason
        self.detail = detail
