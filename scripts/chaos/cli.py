"""`python -m scripts.chaos`: set up, run the probes and the checks, print the table, clean up."""

import argparse
import os
import random
import shutil
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from .env import Stack, require_loopback, with_database

ENV_COMMANDS = ("CHAOS_REDIS_STOP", "CHAOS_REDIS_START", "CHAOS_PG_RESTART")


class Overtime(Exception):
    pass


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m scripts.chaos", description=__doc__)
    parser.add_argument("--max-seconds", type=int, default=420, help="Bound on the whole run (default 420).")
    parser.add_argument("--redis-outage-seconds", type=int, default=30)
    parser.add_argument("--settle-seconds", type=int, default=90, help="Wait at most this for background work.")
    parser.add_argument("--storm-conversions", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--keep-logs", action="store_true", help="Keep the processes' logs even when all passed.")
    return parser.parse_args(argv)


def redis_url(url: str, db: int) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", "", ""))


class Context:
    """What the probes share: the arguments, the client, the stack, the organization, the delivery."""

    def __init__(self, args, stack, broker_url):
        import redis

        self.args, self.stack = args, stack
        self.run_id = os.getpid()
        self.rng = random.Random(args.seed)
        self.redis = redis.Redis.from_url(broker_url, socket_timeout=5)
        self.redis_stop, self.redis_start = os.environ["CHAOS_REDIS_STOP"], os.environ["CHAOS_REDIS_START"]
        self.pg_restart = os.environ["CHAOS_PG_RESTART"]
        today = datetime.now(UTC).date()
        self.rate_date = today - timedelta(days=3)
        self.first_day, self.last_day = today - timedelta(days=5), today + timedelta(days=1)
        self.credited_ids: list = []

    def reconnect(self) -> None:
        from django.db import connections

        connections.close_all()

    def wait_idle(self, seconds: float | None = None) -> bool:
        """Until the outbox, the queue and the unacknowledged messages are empty twice in a row."""
        from core.models import FollowUp

        deadline = time.monotonic() + (seconds or self.args.settle_seconds)
        quiet = 0
        while time.monotonic() < deadline:
            try:
                self.reconnect()
                busy = FollowUp.objects.count() + self.redis.llen("celery") + self.redis.hlen("unacked")
            except Exception:  # noqa: BLE001 - a server restarting: not idle yet
                busy = 1
            quiet = quiet + 1 if busy == 0 else 0
            if quiet >= 3:
                return True
            time.sleep(1)
        return False


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    missing = [name for name in ("DATABASE_URL", "CELERY_BROKER_URL", *ENV_COMMANDS) if not os.environ.get(name)]
    if missing:
        print(f"chaos: set {', '.join(missing)} (see docs/operations.md, 'Chaos suite')", file=sys.stderr)
        return 2
    server_url, broker = os.environ["DATABASE_URL"], os.environ["CELERY_BROKER_URL"]
    if not server_url.startswith("postgres") or not broker.startswith("redis"):
        print("chaos: needs PostgreSQL (DATABASE_URL) and Redis (CELERY_BROKER_URL)", file=sys.stderr)
        return 2
    require_loopback(server_url, "DATABASE_URL")
    require_loopback(broker, "CELERY_BROKER_URL")
    started = time.monotonic()
    timings: list[tuple[str, float]] = []
    rows: list[tuple[str, int, int, float, str]] = []
    database = f"chaos_{os.getpid()}"
    log_dir = Path(tempfile.mkdtemp(prefix="chaos-logs-"))
    # Broker and cache on databases of their own (14, 15), emptied first: nothing of another run is delivered here.
    broker_url, cache_url = redis_url(broker, 14), redis_url(broker, 15)
    stack = None

    def overtime(signum, frame):
        raise Overtime(f"the run exceeded --max-seconds={args.max_seconds}")

    signal.signal(signal.SIGALRM, overtime)
    signal.alarm(args.max_seconds)
    phase = time.monotonic()

    def lap(name):
        nonlocal phase
        timings.append((name, time.monotonic() - phase))
        phase = time.monotonic()

    create_database(server_url, database)
    try:
        url = with_database(server_url, database)
        os.environ.update(
            DATABASE_URL=url,
            CELERY_BROKER_URL=broker_url,
            CACHE_URL=cache_url,
            DJANGO_SETTINGS_MODULE="config.settings",
        )
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        import redis

        for db_url in (broker_url, cache_url):
            redis.Redis.from_url(db_url).flushdb()
        lap("migrate")
        stack = Stack(url, broker_url, cache_url, log_dir)
        stack.start()
        ctx = Context(args, stack, broker_url)
        setup(ctx)
        lap("start processes, set up")
        from .checks import CHECKS
        from .probes import PROBES

        for name, probe in PROBES:
            print(f"=== {name}")
            rows.append(run_one(name, probe, ctx))
            lap(name)
        print("=== waiting until the outbox, the queue and the workers are idle")
        idle = ctx.wait_idle()
        lap("settle")
        rows.append(("check: workers idle", 1, 0 if idle else 1, 0.0, "" if idle else "not idle in time"))
        for name, check in CHECKS:
            rows.append(run_one(name, check, ctx))
        lap("checks")
    except Overtime as error:
        rows.append(("run bounded in time", 1, 1, 0.0, str(error)))
    except Exception as error:  # noqa: BLE001 - set-up failed: still stop everything and drop the database
        import traceback

        traceback.print_exc()
        rows.append(("set-up", 1, 1, 0.0, repr(error)))
    finally:
        signal.alarm(0)
        if stack is not None:
            stack.stop()
            rows.append(
                (
                    "worker exits (supervisor)",
                    stack.worker_restarts + stack.worker_kills,
                    stack.worker_restarts,  # a worker must survive the outages; only the harness's kills end one
                    0.0,
                    f"SIGKILLs on purpose: {stack.worker_kills}, beat restarts: {stack.beat_restarts}",
                )
            )
            resent = sum(path.read_text(errors="replace").count("sending it again") for path in log_dir.glob("*.log"))
            rows.append(("follow-ups sent again (lease)", resent, 0, 0.0, "messages the broker lost, redone"))
        from django.db import connections

        connections.close_all()
        drop_database(server_url, database)
        lap("stop, drop database")
    failed = print_table(rows, timings, time.monotonic() - started)
    if failed or args.keep_logs:
        print(f"Logs of the processes: {log_dir}")
    else:
        shutil.rmtree(log_dir, ignore_errors=True)
    return 1 if failed else 0


def setup(ctx) -> None:
    from accounts.services import api_key_create, organization_create

    from .client import Client

    ctx.organization = organization_create(slug=f"chaos-{ctx.run_id}", name="Chaos")
    _, secret = api_key_create(organization=ctx.organization, name="chaos")
    ctx.client = Client(ctx.stack.base_url, secret)
    delivery = ctx.client.must("POST", "/api/v1/deliveries", {"name": "Chaos delivery"})
    assert "id" in delivery, delivery
    ctx.delivery_id = delivery["id"]
    # A webhook endpoint on a loopback receiver, for the touchpoints probe 4 posts while Redis is down.
    from webhooks.tests.receiver import start_receiver

    ctx.receiver = start_receiver()
    endpoint = ctx.client.must(
        "POST", "/api/v1/webhook-endpoints", {"url": ctx.receiver.url, "events": ["touchpoint.created"]}
    )
    assert "secret" in endpoint, endpoint
    ctx.webhook_secret = endpoint["secret"]


def run_one(name, function, ctx):
    started = time.monotonic()
    try:
        result = function(ctx)
        tried, failed, notes = result.tried, result.failed, result.notes
    except Overtime:
        raise
    except Exception as error:  # noqa: BLE001 - a probe that crashes is a failed probe, the run goes on
        import traceback

        traceback.print_exc()
        tried, failed, notes = 1, 1, [f"crashed: {error!r}"]
    seconds = time.monotonic() - started
    for note in notes[:8]:
        print(f"    {note}")
    if len(notes) > 8:
        print(f"    ... {len(notes) - 8} more")
    return name, tried, failed, seconds, "; ".join(map(str, notes[:2]))[:120]


def print_table(rows, timings, total) -> int:
    width = max(len(row[0]) for row in rows)
    print()
    print(f"{'probe':<{width}} | {'tried':>6} | {'failed':>6} | {'seconds':>7}")
    print(f"{'-' * width}-+--------+--------+--------")
    for name, tried, failed, seconds, _ in rows:
        print(f"{name:<{width}} | {tried:>6} | {failed:>6} | {seconds:>7.1f}")
    failed = sum(row[2] for row in rows)
    print(f"{'total':<{width}} | {sum(row[1] for row in rows):>6} | {failed:>6} | {total:>7.1f}")
    print("Where the time went: " + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in timings))
    print("CHAOS PASSED" if failed == 0 else f"CHAOS FAILED: {failed} failed")
    return failed


def _admin_connection(server_url):
    import psycopg

    parts = urlsplit(server_url)
    return psycopg.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username, password=parts.password,
        dbname=(parts.path or "/postgres").lstrip("/") or "postgres", autocommit=True,
    )  # fmt: skip


def create_database(server_url, name) -> None:
    with _admin_connection(server_url) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(server_url, name) -> None:
    for _ in range(10):
        try:
            with _admin_connection(server_url) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except Exception as error:  # noqa: BLE001 - a server still restarting
            print(f"  drop database {name}: {error}; retrying")
            time.sleep(2)
