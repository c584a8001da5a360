"""Destinations: where a customer's data goes. The shared secret and the HTTPS
authentication's credential are write-only, each sealed bound to its own purpose."""

import asyncio
import uuid
from typing import Any
from urllib.parse import urlsplit

from senflow.common import secrets as sealing
from senflow.common.events import (
    CONFIG_TYPES,
    AuthType,
    DestinationConfig,
    DestinationSnapshot,
    HttpsConfig,
    KafkaTopicConfig,
    MqttConfig,
)
from senflow.registry.adapters import store
from senflow.registry.adapters.db import Conn
from senflow.registry.adapters.listing import PageRequest, Query
from senflow.registry.domain import destination_rules, rules
from senflow.registry.domain.principal import Principal
from senflow.registry.errors import Conflict, InvalidField
from senflow.registry.use_cases.base import (
    Page,
    UseCases,
    Versioned,
    check_version,
    emit,
    in_project_flows,
)
from senflow.registry.use_cases.flows import detach_from_flows


def _validated(
    kind: str, config: DestinationConfig, secret: str | None, secret_stored: bool = False
) -> str | None:
    """Type-specific rules; returns the secret to seal (None when there is none to seal)."""
    if not isinstance(config, CONFIG_TYPES[kind]):
        raise InvalidField("config", f"is not a {kind} configuration")
    if isinstance(config, HttpsConfig):
        rules.destination_url("config.url", config.url)
        rules.static_headers("config.headers", config.headers)
        if secret is None:
            if secret_stored:
                return None
            raise InvalidField("secret", "is required for an https destination")
        return rules.destination_secret("secret", secret)
    if isinstance(config, KafkaTopicConfig):
        destination_rules.kafka_config(config, secret is not None, secret_stored)
    elif isinstance(config, MqttConfig):
        destination_rules.mqtt_config(config, secret is not None)
    return secret


def _stored_for(current: DestinationSnapshot) -> AuthType | None:
    """The kind of authentication the destination's stored credential is for."""
    if current.sealed_credential is None or not isinstance(current.config, HttpsConfig):
        return None
    return current.config.auth.type


async def _format_script_checked(script: str | None) -> str | None:
    """The script to store (None for none: an empty one removes it)."""
    if not script:
        return None
    # Compiling may use the sandbox's whole build CPU cap: never on the event loop.
    return await asyncio.to_thread(destination_rules.format_script, "format_script", script)


def _target(config: DestinationConfig) -> object:
    """Where a destination's deliveries (and so its secrets) go."""
    if isinstance(config, HttpsConfig):
        url = urlsplit(config.url)
        return (url.scheme, url.hostname, url.port)
    if isinstance(config, KafkaTopicConfig):
        return config.bootstrap
    if isinstance(config, MqttConfig):
        return (config.host, config.port)
    return None


def _secrets_follow_target(
    current: DestinationSnapshot, config: DestinationConfig, changes: dict[str, Any]
) -> None:
    """A destination pointed somewhere else must be given its secrets again: otherwise a
    write key could send the stored (write-only) secrets to a server of its choosing."""
    if _target(config) == _target(current.config):
        return
    if current.sealed_secret is not None and not changes.get("secret"):
        raise InvalidField("secret", "give the secret again when the destination's address changes")
    if current.sealed_credential is not None and not changes.get("credential"):
        raise InvalidField(
            "credential", "give the credential again when the destination's address changes"
        )


async def _claim_platform_topic(conn: Conn, config: DestinationConfig, cid: str) -> None:
    """A topic on the platform's own cluster belongs to the first customer that names it:
    another customer's destination may not write to it (409)."""
    if not isinstance(config, KafkaTopicConfig) or config.bootstrap is not None:
        return
    # Serialises claims of one topic name, so two customers cannot both pass the check.
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('kafka-topic:' || $1))", config.topic)
    taken = await conn.fetchval(
        "SELECT 1 FROM destinations WHERE type = 'kafka' AND config->>'bootstrap' IS NULL"
        " AND config->>'topic' = $1 AND customer_id <> $2 LIMIT 1",
        config.topic,
        uuid.UUID(cid),
    )
    if taken:
        raise Conflict(f"topic {config.topic} on the platform's cluster is another customer's")


class Destinations(UseCases):
    async def create(
        self,
        p: Principal,
        name: str,
        kind: str,
        config: DestinationConfig,
        secret: str | None,
        credential: str | None = None,
        format_script: str | None = None,
    ) -> Versioned:
        p.require("write")
        cid = p.require_customer()
        plain = _validated(kind, config, secret)
        destination_rules.authentication(config, credential)
        script = await _format_script_checked(format_script)
        did = str(uuid.uuid4())
        sealed = sealing.seal(self._key, plain, bound_to=did) if plain else None
        async with self._transaction() as conn:
            await _claim_platform_topic(conn, config, cid)
            await conn.execute(
                "INSERT INTO destinations (id, customer_id, name, type, config, sealed_secret,"
                " sealed_credential, format_script) VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8)",
                did,
                cid,
                name,
                kind,
                config.model_dump_json(),
                sealed,
                self._sealed_credential(did, config, credential, None),
                script,
            )
            snap, version = await store.destination(conn, did, cid)
            await emit(conn, "destination", "DestinationCreated", snap, did, version, cid)
        return Versioned(snap, version)

    async def get(self, p: Principal, did: str) -> Versioned:
        p.require("read")
        async with self._read() as conn:
            return Versioned(*await store.destination(conn, did, p.require_customer()))

    async def test_endpoint(self, p: Principal, did: str) -> DestinationSnapshot:
        """The caller's destination `did`, which must be a test endpoint (409 otherwise)."""
        p.require("read")
        async with self._read() as conn:
            destination, _ = await store.destination(conn, did, p.require_customer())
        if destination.type != "test":
            raise Conflict(
                f"destination {did} is of type {destination.type}: only test destinations"
                " keep the messages they receive"
            )
        return destination

    async def find(self, p: Principal, page: PageRequest, project_id: str | None) -> Page:
        query = Query("destinations")
        if project_id:
            in_project_flows(query, "flow_destinations", "destination_id", project_id)
        return await self._find_owned(p, query, page, store.destination)

    async def update(
        self, p: Principal, did: str, changes: dict[str, Any], if_match: int | None
    ) -> Versioned:
        """Change name, enabled, config (same type), secret, credential or format script
        (an empty one removes it)."""
        p.require("write")
        cid = p.require_customer()
        script = None
        if "format_script" in changes:
            script = await _format_script_checked(changes["format_script"])
        async with self._transaction() as conn:
            check_version(await store.lock(conn, "destinations", did, cid), if_match)
            current, _ = await store.destination(conn, did, cid)
            config: DestinationConfig = changes.get("config") or current.config
            secret = changes.get("secret")
            credential = changes.get("credential")
            if "config" in changes or secret is not None:
                # Only what changes is checked: a destination saved under older rules
                # can still be renamed or disabled.
                _validated(current.type, config, secret, current.sealed_secret is not None)
            if "config" in changes or credential is not None:
                destination_rules.authentication(config, credential, _stored_for(current))
            if "config" in changes:
                _secrets_follow_target(current, config, changes)
                await _claim_platform_topic(conn, config, cid)
            if "format_script" not in changes:
                script = current.format_script
            sealed = sealing.seal(self._key, secret, bound_to=did) if secret else None
            await conn.execute(
                "UPDATE destinations SET name = coalesce($2, name),"
                " enabled = coalesce($3, enabled), config = $4::jsonb,"
                " sealed_secret = coalesce($5, sealed_secret), sealed_credential = $6,"
                " format_script = $7 WHERE id = $1",
                uuid.UUID(did),
                changes.get("name"),
                changes.get("enabled"),
                config.model_dump_json(),
                sealed,
                self._sealed_credential(did, config, credential, current.sealed_credential),
                script,
            )
            await store.bump(conn, "destinations", did)
            snap, version = await store.destination(conn, did, cid)
            await emit(conn, "destination", "DestinationUpdated", snap, did, version, cid)
        return Versioned(snap, version)

    def _sealed_credential(
        self, did: str, config: DestinationConfig, credential: str | None, stored: str | None
    ) -> str | None:
        """What to store: the new credential sealed, else the stored one; none without
        authentication (switching it off forgets the credential)."""
        if not isinstance(config, HttpsConfig) or config.auth.type == "none":
            return None
        if credential is not None:
            binding = sealing.credential_binding(did)
            return sealing.seal(self._key, credential, bound_to=binding)
        return stored

    async def delete(self, p: Principal, did: str, detach: bool, if_match: int | None) -> None:
        """A destination used by flows is a 409 unless `detach` removes it from them."""
        p.require("write")
        cid = p.require_customer()
        async with self._transaction() as conn:
            version = await store.lock(conn, "destinations", did, cid)
            check_version(version, if_match)
            await detach_from_flows(conn, "flow_destinations", "destination_id", did, cid, detach)
            await conn.execute("DELETE FROM destinations WHERE id = $1", uuid.UUID(did))
            await emit(conn, "destination", "DestinationDeleted", None, did, version + 1, cid)
