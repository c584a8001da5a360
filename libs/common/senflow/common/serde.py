"""JSON serialisation of contract models: compact, UTF-8, no floats lost."""

from typing import TypeVar

import orjson
from pydantic import BaseModel, ValidationError

from senflow.common.errors import ContractError

M = TypeVar("M", bound=BaseModel)


def dumps(model: BaseModel) -> bytes:
    """Compact JSON bytes of a contract model (`None` fields left out).

    `serialize_as_any` makes a field typed as a base contract (the snapshot of a
    `ChangeEvent[Contract]`) serialise with the fields of its actual class.
    """
    return orjson.dumps(model.model_dump(mode="json", exclude_none=True, serialize_as_any=True))


def loads(model_type: type[M], data: bytes | None) -> M:
    """Parse and validate a record value; any failure is a `ContractError` naming why."""
    if data is None:
        raise ContractError(f"{model_type.__name__}: empty record value")
    try:
        return model_type.model_validate_json(data)
    except ValidationError as err:
        raise ContractError(f"{model_type.__name__}: {_summarise(err)}") from err


def _summarise(err: ValidationError) -> str:
    parts = []
    for e in err.errors()[:5]:
        where = ".".join(str(p) for p in e["loc"]) or "(root)"
        parts.append(f"{where}: {e['msg']}")
    return "; ".join(parts)
