"""A SenML command as the `data` object a TS013 `encodeDownlink` receives, and back.

SenML to data inverts the decoders' mapping (`script_contracts.data_records`): each value
goes under its name, relative to the device (`senml_command`), split at `/` into nested
objects, so `{"n": "config/interval", "v": 600}` becomes `{"config": {"interval": 600}}`.
`v` gives a number, `vs` and `vd` (base64url text) a string, `vb` a boolean; units are left
out. Numbered parts stay object keys (`"led/0"` gives `{"led": {"0": …}}`), since a
command seldom sets a whole array. A name given twice, an empty part (`a//b`), or a value
that would also have to be an object (`a` and `a/b`) is `invalid-command`.

Data to SenML is the decoders' mapping itself: `data_records`.
"""

from collections.abc import Sequence

from senflow.codecs.errors import EncodeFailed
from senflow.codecs.senml_command import CommandValue


def command_data(values: Sequence[CommandValue]) -> dict[str, object]:
    """The values as one nested data object (module docstring)."""
    data: dict[str, object] = {}
    for value in values:
        *parents, leaf = value.name.split("/")
        if "" in parents or not leaf:
            raise EncodeFailed(
                "invalid-command", f"{value.where('n')}: {value.name!r} has an empty part"
            )
        node = data
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise _collision(value)
            node = child
        if leaf in node:
            raise _collision(value)
        node[leaf] = value.value
    return data


def _collision(value: CommandValue) -> EncodeFailed:
    return EncodeFailed(
        "invalid-command",
        f"{value.where('n')}: {value.name!r} collides with a name given before it"
        " (the same name, or a value where this needs an object)",
    )
