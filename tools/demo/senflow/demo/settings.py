"""The demo's settings: where the platform is (as for `senflow`), and the admin token."""

from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr

from senflow.cli.settings import CliSettings


class DemoSettings(CliSettings):
    """`make demo` reads `.senflow/senflow.env` (scripts/env.sh) into the environment."""

    # The admin token itself, even when SENFLOW_API_TOKEN names a customer's key: the demo
    # creates its own customer.
    admin_token: Annotated[SecretStr, Field(validation_alias=AliasChoices("REGISTRY_ADMIN_TOKEN"))]
