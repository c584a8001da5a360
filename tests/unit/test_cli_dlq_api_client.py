"""The CLI's registry client turns error answers into the API's own reason: a problem+json
body's title, detail and invalid fields, or an excerpt of whatever else came."""

from senflow.cli.api_client import problem_error, query


def test_a_problem_answer_keeps_its_reason_and_its_invalid_fields() -> None:
    body = (
        b'{"type":"about:blank","title":"Invalid request","status":422,'
        b'"detail":"the request does not match its schema",'
        b'"errors":[{"field":"since","reason":"Input should have timezone info"}]}'
    )
    error = problem_error(422, body, None)
    assert (error.status, error.title, error.retriable) == (422, "Invalid request", False)
    assert error.describe() == (
        "422 Invalid request: the request does not match its schema\n"
        "  since: Input should have timezone info"
    )


def test_a_503_says_when_to_try_again_when_the_api_sends_retry_after() -> None:
    body = b'{"title":"Service unavailable","detail":"the dead letters are still being read"}'
    error = problem_error(503, body, "5")
    assert error.retriable
    assert error.describe().endswith("(try again in 5 s)")


def test_an_answer_that_is_no_problem_is_shown_as_an_excerpt() -> None:
    error = problem_error(502, b"<html>Bad gateway</html>" + b"x" * 1000, None)
    assert error.describe().startswith("502 Error: <html>Bad gateway</html>xxx")
    assert len(error.detail) == 300
    assert problem_error(500, b"", None).detail == "(no body)"


def test_query_leaves_out_none_and_writes_booleans_as_the_api_reads_them() -> None:
    assert query({"force": True, "reason": None, "limit": 5}) == {"force": "true", "limit": "5"}
    assert query({"force": False}) == {"force": "false"}
    assert query(None) == {}
