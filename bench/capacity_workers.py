"""One or two workers of the router and of the dispatcher: the platform's own, plus a
second process of the same service with the platform's environment (same consumer
group, its own HTTP port and router data folder), as the scaling tests start them."""

import asyncio

import httpx

from tests.support.platform import Platform, ensure_running
from tests.support.processes import ServiceProcess, free_port

PORT_VARIABLE = {"router": "ROUTER_HTTP_PORT", "dispatcher": "DISPATCHER_HTTP_PORT"}
WORK_METRIC = {  # what each worker counts per record it takes
    "router": 'senflow_router_uplinks_total{outcome="routed"}',
    "dispatcher": "senflow_dispatcher_deliveries_received_total",
}


def second_worker(platform: Platform, kind: str) -> ServiceProcess:
    port = str(free_port())
    env = {**platform.env, PORT_VARIABLE[kind]: port}
    if kind == "router":
        env["ROUTER_DATA_DIR"] = platform.env["ROUTER_DATA_DIR"] + "-2"
    first = platform.router if kind == "router" else platform.dispatcher
    return ServiceProcess(
        f"{kind}-2",
        [first.argv[0]],
        env,
        f"http://127.0.0.1:{port}/readyz",
        first.log_path.with_name(f"{kind}-2.log"),
    )


async def work_done(service: ServiceProcess, kind: str) -> float | None:
    """The worker's count of records taken so far (None: it does not say)."""
    url = service.ready_url.replace("/readyz", "/metrics")
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            text = (await client.get(url)).text
    except httpx.HTTPError:
        return None
    for line in text.splitlines():
        if line.startswith(WORK_METRIC[kind] + " "):
            return float(line.rsplit(" ", 1)[1])
    return None


class Workers:
    """Which router and dispatcher processes run: `await set(routers, dispatchers)`."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.extra = {k: second_worker(platform, k) for k in ("router", "dispatcher")}

    def of(self, kind: str) -> list[ServiceProcess]:
        first = self.platform.router if kind == "router" else self.platform.dispatcher
        return [s for s in (first, self.extra[kind]) if s.proc is not None]

    def pids(self) -> dict[str, int]:
        return {
            s.name: s.proc.pid
            for kind in ("router", "dispatcher")
            for s in self.of(kind)
            if s.proc is not None
        }

    async def set(self, routers: int, dispatchers: int) -> None:
        """Run this many workers of each (0, 1 or 2). New workers start together (each
        waited for until ready), so they join their group at about the same time."""
        wanted = {"router": routers, "dispatcher": dispatchers}
        starting: list[ServiceProcess] = []
        for kind, count in wanted.items():
            first = self.platform.router if kind == "router" else self.platform.dispatcher
            for service, keep in ((first, count >= 1), (self.extra[kind], count >= 2)):
                running = service.proc is not None and service.proc.poll() is None
                if running and not keep:
                    await asyncio.to_thread(service.stop)
                elif keep and not running:
                    starting.append(service)
        await asyncio.gather(*(asyncio.to_thread(s.start) for s in starting))

    async def restore(self) -> None:
        """Back to the platform's own single router and dispatcher."""
        for service in self.extra.values():
            await asyncio.to_thread(service.stop)
        await ensure_running(self.platform.router, self.platform.dispatcher)
