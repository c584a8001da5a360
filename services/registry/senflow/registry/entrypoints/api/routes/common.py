"""What every route module shares: the use cases, ETags, paging parameters."""

from dataclasses import asdict, is_dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request, Response

from senflow.registry.adapters.listing import SORTS, PageRequest
from senflow.registry.errors import InvalidField
from senflow.registry.use_cases.base import Page, Versioned
from senflow.registry.wiring import UseCaseSet


def use_cases(request: Request) -> UseCaseSet:
    wired: UseCaseSet = request.app.state.use_cases
    return wired


UseCasesDep = Annotated[UseCaseSet, Depends(use_cases)]


def out(v: Versioned, response: Response | None = None) -> dict[str, Any]:
    """The snapshot without sealed secrets or owner, plus its version; sets the ETag."""
    if response is not None:
        response.headers["ETag"] = f'"{v.version}"'
    data = v.snapshot.model_dump(exclude={"sealed_secret", "sealed_credential", "customer_id"})
    for info in data.get("network_info", ()):
        info.pop("sealed_secret", None)
    return {**data, "version": v.version}


def page_out(page: Page) -> dict[str, Any]:
    return {"items": [out(v) for v in page.items], "next_cursor": page.next_cursor}


def plain(value: Any) -> Any:
    return asdict(value) if is_dataclass(value) and not isinstance(value, type) else value


def if_match(
    value: Annotated[
        str | None,
        Header(alias="If-Match", description="ETag of the version this change is based on"),
    ] = None,
) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip().removeprefix("W/").strip('"'))
    except ValueError as err:
        raise InvalidField("If-Match", "must be an ETag this API returned") from err


IfMatch = Annotated[int | None, Depends(if_match)]


def paging(
    limit: Annotated[int, Query(ge=1, le=500, description="Items per page")] = 50,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    sort: Annotated[str, Query(description=f"One of {', '.join(SORTS)}")] = "created_at",
    q: Annotated[
        str | None, Query(max_length=200, description="Name contains (case-insensitive)")
    ] = None,
    created_since: Annotated[datetime | None, Query(description="Created at or after")] = None,
    created_before: Annotated[datetime | None, Query(description="Created before")] = None,
) -> PageRequest:
    return PageRequest(limit, cursor, sort, q, created_since, created_before)


Paging = Annotated[PageRequest, Depends(paging)]
