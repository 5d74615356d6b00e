"""python -m bench: the served benchmark behind `make bench-http`.

Starts the portal in its production shape (bench/server.py) on a fresh copy of the demo data,
then measures from outside over HTTP, in one run:
1. one endpoint at a time, `--clients` concurrent clients each in a closed loop: requests/s,
   p50 and p99 of `/healthz` (the floor: the server and the client, no database) and of the
   endpoints a sponsor and their systems use, each as a ratio to the floor;
2. a mixed crowd of `--users` simulated users for `--mixed-seconds`: sponsors reading the program
   page while holding its live stream, PMs posting updates, clients polling the status with
   If-None-Match: p95 and errors, overall and per kind.

The load generator runs on the same machine as the server and takes its share of the cores:
the ratios to `/healthz` are what compare between machines, not the absolute figures.
"""

from gevent import monkey

monkey.patch_all()  # before anything opens a socket: the simulated users are greenlets

import argparse  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import requests  # noqa: E402

from bench import load, server  # noqa: E402
from bench.load import Figures, Probe, Target  # noqa: E402

PROGRAM = "HLX-101"
# The goals of issue 13: (label, least ratio to /healthz).
GOALS = {
    "status, 304": 0.5,
    "status, cold": 0.15,
    "program list": 0.3,
    "change feed": 0.3,
}
MIXED_P95_GOAL_MS = 200.0
MIXED_ARRIVAL_SECONDS = 2.0  # the crowd arrives over the first seconds of its run
NOT_AVAILABLE = "n/a"


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True, help="a PostgreSQL *bench* database")
    parser.add_argument("--redis-url", required=True, help="a Redis database the bench may empty")
    parser.add_argument("--seconds", type=float, default=5.0, help="per endpoint (default 5)")
    parser.add_argument("--clients", type=int, default=4, help="per endpoint (default 4)")
    parser.add_argument("--users", type=int, default=50, help="of the mixed load (default 50)")
    parser.add_argument("--mixed-seconds", type=float, default=25.0, help="(default 25)")
    parser.add_argument(
        "--web-processes", type=int, default=1, help="uvicorn's --workers (default 1)"
    )
    return parser.parse_args()


def main() -> None:
    options = arguments()
    server.refuse_foreign_database(options.database_url)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-http-") as scratch:
        port = server.free_port()
        env = server.environment(
            database_url=options.database_url,
            redis_url=options.redis_url,
            port=port,
            web_processes=options.web_processes,
        )
        server.collect_static(env)
        server.empty_redis(options.redis_url)
        # Seeding (half a minute, most of it the demo's signatures) while the servers start.
        portal = server.start(env, port=port, log_dir=Path(scratch))
        try:
            tokens = server.seed(env)
            server.wait_until_healthy(portal)
            server.wait_until_idle(options.redis_url)
            target = Target(
                base_url=portal.base_url,
                program=PROGRAM,
                session_cookie=server.sign_in(portal.base_url, server.SPONSOR, server.PASSWORD),
                sponsor_token=tokens[server.SPONSOR],
                pm_token=tokens[server.PM],
            )
            print(f"bench-http: ready after {time.monotonic() - started:.0f} s, {portal.base_url}")
            probes = measure_probes(target, options)
            mixed, sponsors = measure_mixed(target, options)
        except BaseException:
            print(portal.log_tails(), file=sys.stderr)
            raise
        finally:
            server.stop(portal)
    print(f"bench-http: done after {time.monotonic() - started:.0f} s\n")
    print(probe_table(probes, clients=options.clients, seconds=options.seconds))
    print(mixed_table(mixed, users=options.users, sponsors=sponsors))
    broken = [label for label, figures in probes.items() if figures and not figures.times_ms]
    if broken:
        sys.exit(f"bench-http: no request succeeded for {', '.join(broken)}")


# --- the probes ---------------------------------------------------------------------------------


def probes(target: Target) -> dict[str, Callable[[], Probe | None]]:
    """The endpoints measured one at a time, each prepared just before its run (a tag or a
    cursor taken earlier could be stale by then); None where the portal does not offer one."""
    token = {"Authorization": f"Token {target.sponsor_token}"}
    status = f"/api/v1/programs/{target.program}/status/"
    page = f"/programs/{target.program}/"
    return {
        "/healthz": lambda: Probe("/healthz", "/healthz", {}, 200),
        "status, cold": lambda: Probe("status, cold", status, token, 200),
        "status, 304": lambda: conditional_probe(target.base_url, status, token),
        "program list": lambda: Probe("program list", "/api/v1/programs/", token, 200),
        "change feed": lambda: feed_probe(target.base_url, token),
        "sponsor's program page": lambda: Probe(
            "sponsor's program page", page, {"Cookie": target.session_cookie}, 200
        ),
    }


def conditional_probe(base_url: str, path: str, token: dict[str, str]) -> Probe | None:
    """The status asked again with the ETag of a first answer: None without an ETag."""
    first = requests.get(base_url + path, headers=token, timeout=10)
    first.raise_for_status()
    etag = first.headers.get("ETag")
    if etag is None:
        return None
    return Probe("status, 304", path, {**token, "If-None-Match": etag}, 304)


def feed_probe(base_url: str, token: dict[str, str]) -> Probe | None:
    """The change feed polled from its head, as a client that has caught up polls it: the
    cursor of the last page of a first read from the start."""
    url = f"{base_url}/api/v1/events/"
    page = requests.get(url, headers=token, timeout=10)
    if page.status_code == 404:
        return None
    page.raise_for_status()
    while page.json()["has_more"]:
        page = requests.get(url, params={"after": page.json()["cursor"]}, headers=token, timeout=10)
        page.raise_for_status()
    path = "/api/v1/events/?" + requests.compat.urlencode({"after": page.json()["cursor"]})
    return Probe("change feed", path, token, 200)


def measure_probes(target: Target, options: argparse.Namespace) -> dict[str, Figures | None]:
    measured: dict[str, Figures | None] = {}
    for label, prepare in probes(target).items():
        probe = prepare()
        if probe is None:
            measured[label] = None
            continue
        users = load.probe_users(target.base_url, probe)
        figures = load.run([users], count=options.clients, seconds=options.seconds)
        measured[label] = figures.get(label, Figures(seconds=options.seconds))
        print(f"  {label}: {measured[label].per_second:.0f} req/s")
    return measured


def measure_mixed(
    target: Target, options: argparse.Namespace
) -> tuple[dict[str, Figures], type[load.Sponsor]]:
    """The crowd's figures, and its sponsors' class, which counted their streams' events."""
    users = load.mixed_users(target)
    figures = load.run(
        users, count=options.users, seconds=options.mixed_seconds, arrival=MIXED_ARRIVAL_SECONDS
    )
    sponsors = next(kind for kind in users if issubclass(kind, load.Sponsor))
    return figures, sponsors


# --- the report ---------------------------------------------------------------------------------


def probe_table(measured: dict[str, Figures | None], *, clients: int, seconds: float) -> str:
    floor = measured["/healthz"]
    assert floor is not None
    lines = [
        f"One endpoint at a time, {clients} concurrent clients, {seconds:g} s each:",
        "",
        "| endpoint | req/s | p50 ms | p99 ms | errors | ratio to /healthz | goal |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for label, figures in measured.items():
        if figures is None:
            lines.append(f"| {label} | {NOT_AVAILABLE} | | | | {NOT_AVAILABLE} | |")
            continue
        ratio = figures.per_second / floor.per_second if floor.per_second else 0.0
        goal = GOALS.get(label)
        verdict = "" if goal is None else f"≥ {goal:g}: {'met' if ratio >= goal else 'missed'}"
        lines.append(
            f"| {label} | {figures.per_second:.0f} | {figures.percentile(0.5):.1f} "
            f"| {figures.percentile(0.99):.1f} | {figures.errors} | {ratio:.2f} | {verdict} |"
        )
    return "\n".join(lines) + "\n"


def mixed_table(measured: dict[str, Figures], *, users: int, sponsors: type[load.Sponsor]) -> str:
    everything = Figures(seconds=0.0)
    for figures in measured.values():
        everything.times_ms += figures.times_ms
        everything.errors += figures.errors
    met = everything.percentile(0.95) < MIXED_P95_GOAL_MS and everything.errors == 0
    lines = [
        f"Mixed load, {users} simulated users ({load.Sponsor.weight} sponsors : "
        f"{load.ProjectManager.weight} PM : {load.Poller.weight} polling clients):",
        "",
        "| kind | requests | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    rows = [*sorted(measured.items()), ("all", everything)]
    for label, figures in rows:
        lines.append(
            f"| {label} | {figures.requests} | {figures.percentile(0.5):.1f} "
            f"| {figures.percentile(0.95):.1f} | {figures.percentile(0.99):.1f} "
            f"| {figures.errors} |"
        )
    lines += [
        "",
        f"{sponsors.streams} live streams held, {sponsors.frames} events received on them "
        "(a stream's time is to its first byte).",
        f"Goal p95 < {MIXED_P95_GOAL_MS:g} ms with 0 errors: {'met' if met else 'missed'}.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
