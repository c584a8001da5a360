"""The answer to a stored uplink: 204, or 200 with the device's pending downlink.

At most one downlink per answer. Its body is what the device receives (see
`senflow.router.downlink_payload`): the SenML command as JSON (`application/senml+json`)
when it was sent without an encoder, else the encoded bytes (`application/octet-stream`).
`Senflow-Downlink-Id` names it: a device that may see the same downlink twice (see
`downlinks`) recognises it by that id.
"""

from aiohttp import web

from senflow.router.ingest.pending import PendingDownlink

MESSAGE_ID_HEADER = "Senflow-Message-Id"
DOWNLINK_ID_HEADER = "Senflow-Downlink-Id"


def uplink_answer(message_id: str, downlink: PendingDownlink | None) -> web.Response:
    if downlink is None:
        return web.Response(status=204, headers={MESSAGE_ID_HEADER: message_id})
    return web.Response(
        status=200,
        body=downlink.payload.body,
        content_type=downlink.payload.content_type,
        headers={MESSAGE_ID_HEADER: message_id, DOWNLINK_ID_HEADER: downlink.id},
    )
