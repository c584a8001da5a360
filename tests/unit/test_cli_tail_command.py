"""`senflow tail` as a user runs it, without a broker: what it refuses, and an
unreachable broker reported in a sentence and an exit code, not a traceback."""

import pytest
from typer.testing import CliRunner

from senflow.cli.app import app
from tests.support.processes import free_port

runner = CliRunner(env={"COLUMNS": "200"})  # wide enough that no message wraps


def test_tail_refuses_to_run_when_given_no_device_flow_or_customer() -> None:
    result = runner.invoke(app, ["tail", "--json"])
    assert result.exit_code == 2
    assert "--device / --flow / --customer: give at least one of them" in result.output


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--since", "10m", "--from-beginning"], "not both"),
        (["--since", "yesterday"], "neither a duration"),
        (["--since", "2026-11-25T10:00:00"], "no time zone"),
        (["--count", "0"], "greater than or equal to 1"),
        (["--since", "99999999d"], "more than 100 years back"),
    ],
)
def test_tail_refuses_options_when_they_contradict_or_do_not_parse(
    args: list[str], says: str
) -> None:
    result = runner.invoke(app, ["tail", "--device", "d", *args])
    assert result.exit_code == 2
    assert says in result.output


def test_tail_exits_2_with_a_sentence_when_the_broker_is_unreachable() -> None:
    bootstrap = f"127.0.0.1:{free_port()}"  # nothing listens there
    result = runner.invoke(
        app, ["tail", "--device", "d"], env={"SENFLOW_KAFKA_BOOTSTRAP": bootstrap}
    )
    assert result.exit_code == 2
    assert f"Kafka at {bootstrap} is not reachable" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output


def test_tail_help_says_it_reads_kafka_directly_and_sees_every_customer() -> None:
    result = runner.invoke(app, ["tail", "--help"])
    assert result.exit_code == 0
    assert "from Kafka directly" in result.output
    assert "every customer's data" in result.output
