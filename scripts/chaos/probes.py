"""The six probes. Each returns a Result: requests (and checks) tried, those failed, and what was seen."""

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from .env import run_shell

API = "/api/v1"
BATCH = 1000


@dataclass
class Result:
    tried: int = 0
    failed: int = 0
    notes: list = field(default_factory=list)

    def check(self, ok: bool, message: str) -> bool:
        self.tried += 1
        if not ok:
            self.failed += 1
            self.notes.append(message)
        return ok

    def answer(self, answer, allowed=(200, 201), what: str = "request") -> bool:
        return self.check(answer.status in allowed, f"{what} -> {answer.status}: {str(answer.body)[:200]}")


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def hours_ago(hours: float) -> str:
    return iso(datetime.now(UTC) - timedelta(hours=hours))


def money(rng: random.Random) -> str:
    return f"{rng.randint(100, 99999) / 100:.2f}"


def create_conversions(ctx, n: int, *, currency: str, contact_id=None, revenue=None) -> list[str]:
    """``n`` conversions through the batch endpoint (1000 a request); their ids."""
    ids = []
    for start in range(0, n, BATCH):
        items = []
        for _ in range(start, min(n, start + BATCH)):
            item = {"revenue": revenue or money(ctx.rng), "currency": currency, "converted_at": hours_ago(1)}
            if contact_id:
                item["contact_id"] = contact_id
            items.append(item)
        body = ctx.client.must("POST", f"{API}/conversions/batch", {"conversions": items})
        assert body["summary"]["created"] == len(items), body["summary"]
        ids += [row["id"] for row in body["data"]]
    return ids


def patch_revenues(ctx, result: Result, ids: list[str], threads: int = 8) -> dict[str, str]:
    """PATCH the revenue of each id (one thread per id at a time, so the last value is known); expected values."""
    expected = {}
    lock = threading.Lock()

    def one(conversion_id):
        revenue = money(random.Random(conversion_id))
        answer = ctx.client.patch(
            f"{API}/conversions/{conversion_id}", {"revenue": revenue, "revenue_without_tax": None}
        )
        with lock:
            if result.answer(answer, what=f"PATCH revenue {conversion_id}"):
                expected[conversion_id] = revenue

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, ids))
    return expected


def wait_for(condition, seconds: float, step: float = 0.5) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def check_revenues(ctx, result: Result, expected: dict[str, str]) -> None:
    from conversions.models import Conversion

    stored = dict(Conversion.objects.filter(pk__in=expected).values_list("pk", "revenue"))
    lost = [pk for pk, revenue in expected.items() if stored.get(_uuid(pk)) != Decimal(revenue)]
    result.check(not lost, f"{len(lost)} PATCHed revenues lost, e.g. {lost[:3]}")


def check_credited(ctx, result: Result, ids: list[str], delivery_id: str, seconds: float) -> None:
    """Every conversion of ``ids`` ends up credited in full to ``delivery_id`` (weight 1, revenue = its revenue)."""
    from django.db.models import F

    from conversions.models import Attribution

    def missing():
        ctx.reconnect()
        good = Attribution.objects.filter(
            conversion_id__in=ids, delivery_id=delivery_id, weight=1, revenue=F("conversion__revenue")
        ).values_list("conversion_id", flat=True)
        return set(map(_uuid, ids)) - set(good)

    wait_for(lambda: not missing(), seconds)
    left = missing()
    result.check(
        not left, f"{len(left)} of {len(ids)} conversions not credited to the late touch, e.g. {list(left)[:3]}"
    )


def _uuid(value):
    import uuid

    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


# --- 1 and 2 --------------------------------------------------------------------------------------------------


def reattribution_storm(ctx) -> Result:
    """A contact with 2000 conversions and no touch; a late click re-attributes them all (chunks of 100) while
    100 of them get their revenue PATCHed."""
    result = Result()
    contact = ctx.client.must("POST", f"{API}/contacts", {"email": "storm@chaos.example"})
    ids = create_conversions(ctx, ctx.args.storm_conversions, currency="EUR", contact_id=contact["id"])
    touch = {"contact_id": contact["id"], "delivery_id": ctx.delivery_id, "kind": "click", "occurred_at": hours_ago(2)}
    patched = ctx.rng.sample(ids, 100)
    with ThreadPoolExecutor(2) as pool:
        touch_future = pool.submit(ctx.client.post, f"{API}/touchpoints", touch)
        time.sleep(0.05)
        expected = patch_revenues(ctx, result, patched)
        result.answer(touch_future.result(), what="POST late touchpoint")
    check_credited(ctx, result, ids, ctx.delivery_id, ctx.args.settle_seconds)
    check_revenues(ctx, result, expected)
    ctx.credited_ids += ids
    return result


def revaluation_storm(ctx) -> Result:
    """1000 CZK conversions; the CZK rate changes (chunked revaluation tasks) while 100 revenues are PATCHed."""
    from conversions.services import exchange_rate_set

    result = Result()
    exchange_rate_set(currency="CZK", on_date=ctx.rate_date, rate=Decimal("25.125"))
    ids = create_conversions(ctx, 1000, currency="CZK")
    patched = ctx.rng.sample(ids, 100)
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(patch_revenues, ctx, result, patched)
        time.sleep(0.05)
        exchange_rate_set(currency="CZK", on_date=ctx.rate_date, rate=Decimal("24.375"))
        expected = future.result()
    check_revenues(ctx, result, expected)
    ctx.wait_idle()
    return result


# --- 3 --------------------------------------------------------------------------------------------------------

FIELDS = {
    "notes": lambda i: f"note {i}",
    "coupon_code": lambda i: f"COUPON{i}",
    "origin": lambda i: f"origin-{i}",
    "country": lambda i: ["CZ", "DE", "FR", "SK"][i % 4],
    "metadata": lambda i: {"round": i},
    "payout": lambda i: f"{i}.25",
    "type": lambda i: ["purchase", "signup", "upgrade", "custom"][i % 4],
    "order_id": lambda i: f"chaos-order-{i}-{random.random():.12f}",
}


def concurrent_fields(ctx) -> Result:
    """8 threads each PATCH a different field of the same 20 conversions, 5 rounds; every field survives."""
    result = Result()
    ids = create_conversions(ctx, 20, currency="EUR")
    last: dict[tuple, object] = {}
    barrier = threading.Barrier(len(FIELDS))

    def writer(name):
        for round_ in range(5):
            barrier.wait()
            for conversion_id in ids:
                value = FIELDS[name](round_)
                answer = ctx.client.patch(f"{API}/conversions/{conversion_id}", {name: value})
                if result.answer(answer, what=f"PATCH {name}"):
                    last[(conversion_id, name)] = value

    with ThreadPoolExecutor(len(FIELDS)) as pool:
        list(pool.map(writer, FIELDS))
    for conversion_id in ids:
        body = ctx.client.must("GET", f"{API}/conversions/{conversion_id}")
        for name in FIELDS:
            want, got = last.get((conversion_id, name)), body.get(name)
            if name == "payout":
                want, got = Decimal(want), Decimal(got)
            result.check(want == got, f"{conversion_id}.{name}: wanted {want!r}, stored {got!r}")
    return result


# --- 4 --------------------------------------------------------------------------------------------------------


def write_loop(ctx, result: Result, stop: threading.Event, created: list, seen: dict, tag: str) -> None:
    """Contacts, conversions and late touches (each a follow-up), until ``stop``."""
    n = 0
    while not stop.is_set():
        n += 1
        contact = ctx.client.post(f"{API}/contacts", {"email": f"{tag}-{n}@chaos.example"})
        seen[contact.status] = seen.get(contact.status, 0) + 1
        if not result.answer(contact, what="POST contact"):
            time.sleep(0.5)
            continue
        conversion = ctx.client.post(
            f"{API}/conversions",
            {"contact_id": contact.body["id"], "revenue": money(ctx.rng), "converted_at": hours_ago(1)},
        )
        seen[conversion.status] = seen.get(conversion.status, 0) + 1
        if not result.answer(conversion, what="POST conversion"):
            time.sleep(0.5)
            continue
        touch = {
            "contact_id": contact.body["id"],
            "delivery_id": ctx.delivery_id,
            "kind": "click",
            "occurred_at": hours_ago(2),
        }
        answer = ctx.client.post(f"{API}/touchpoints", touch)
        seen[answer.status] = seen.get(answer.status, 0) + 1
        if result.answer(answer, what="POST touchpoint"):
            created.append(conversion.body["id"])
        time.sleep(0.05)


def redis_outage(ctx) -> Result:
    """Redis stopped while 3 clients write; no 5xx; after it returns every follow-up is done."""
    result = Result()
    stop, created, seen = threading.Event(), [], {}
    threads = [
        threading.Thread(target=write_loop, args=(ctx, result, stop, created, seen, f"redis{i}")) for i in range(3)
    ]
    for thread in threads:
        thread.start()
    try:
        time.sleep(2)
        run_shell(ctx.redis_stop)
        print(f"    Redis stopped for {ctx.args.redis_outage_seconds} s")
        time.sleep(ctx.args.redis_outage_seconds)
    finally:
        run_shell(ctx.redis_start)
        print("    Redis started again")
        time.sleep(3)
        stop.set()
        for thread in threads:
            thread.join()
    result.notes.append(f"statuses {dict(sorted(seen.items()))}, {len(created)} late touches")
    check_credited(ctx, result, created, ctx.delivery_id, ctx.args.settle_seconds + 30)
    ctx.credited_ids += created
    return result


# --- 5 --------------------------------------------------------------------------------------------------------


def worker_killed(ctx) -> Result:
    """3000 PLN conversions revalued in chunk tasks; the worker is SIGKILLed half way, a new one finishes exactly."""
    from conversions.models import Conversion
    from conversions.rates import RATE_QUANTUM, conversion_rate
    from conversions.services import exchange_rate_set

    result = Result()
    ids = create_conversions(ctx, 3000, currency="PLN")
    ctx.wait_idle()
    day = Conversion.objects.get(pk=ids[0]).converted_date
    revalued = Conversion.objects.filter(pk__in=ids, reference_revenue__isnull=False)
    landed = False
    for attempt, rate in enumerate(("4.25", "4.3125", "4.375", "4.5")):
        exchange_rate_set(currency="PLN", on_date=ctx.rate_date, rate=Decimal(rate))
        reference_rate = conversion_rate("PLN", "EUR", day).quantize(RATE_QUANTUM)  # EUR per PLN, as stored
        target = revalued.filter(reference_rate=reference_rate)
        wait_for(lambda: target.exists(), 30, step=0.02)  # noqa: B023
        done = target.count()  # noqa: B023
        ctx.stack.kill_worker()
        if 0 < done < len(ids):
            landed = True
            result.notes.append(f"killed at {done}/{len(ids)} revalued (attempt {attempt + 1})")
            break
        result.notes.append(f"attempt {attempt + 1}: kill landed at {done}/{len(ids)}")
        ctx.wait_idle()
    result.check(landed, "the worker could not be killed in the middle of a revaluation")
    ok = wait_for(lambda: target.count() == len(ids), ctx.args.settle_seconds + 30)
    result.check(ok, f"after the kill only {target.count()}/{len(ids)} revalued")
    return result


# --- 6 --------------------------------------------------------------------------------------------------------


def postgres_restart(ctx) -> Result:
    """PostgreSQL restarted under load: 503 (never 500) meanwhile, nothing committed lost, all works after."""
    from conversions.models import Conversion

    result = Result()
    stop, committed, seen, lock = threading.Event(), [], {}, threading.Lock()

    def loader(i):
        n = 0
        while not stop.is_set():
            n += 1
            if n % 3 == 0:
                answer = ctx.client.get(f"{API}/conversions?limit=5")
            else:
                body = {"revenue": money(ctx.rng), "order_id": f"pg-{ctx.run_id}-{i}-{n}", "converted_at": hours_ago(1)}
                answer = ctx.client.post(f"{API}/conversions", body)
                if answer.status == 201:
                    with lock:
                        committed.append(answer.body["id"])
            with lock:
                seen[answer.status] = seen.get(answer.status, 0) + 1
            result.answer(answer, allowed=(200, 201, 503), what=f"during the restart, request {n}")
            time.sleep(0.02)

    threads = [threading.Thread(target=loader, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(2)
        started = time.monotonic()
        run_shell(ctx.pg_restart, timeout=120)
        print(f"    PostgreSQL restarted in {time.monotonic() - started:.1f} s")
        time.sleep(3)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    result.notes.append(f"statuses {dict(sorted(seen.items()))}")
    ctx.reconnect()
    wait_for(lambda: ctx.client.get(f"{API}/conversions?limit=1").status == 200, 30)
    stored = set(Conversion.objects.filter(pk__in=committed).values_list("pk", flat=True))
    lost = set(map(_uuid, committed)) - stored
    result.check(not lost, f"{len(lost)} of {len(committed)} acknowledged conversions lost")
    answer = ctx.client.post(f"{API}/conversions", {"revenue": "10.00", "converted_at": hours_ago(1)})
    result.answer(answer, allowed=(201,), what="POST after the restart")
    return result


PROBES = [
    ("1 PATCH storm, re-attribution", reattribution_storm),
    ("2 PATCH storm, revaluation", revaluation_storm),
    ("3 concurrent PATCH, 8 fields", concurrent_fields),
    ("4 Redis stopped", redis_outage),
    ("5 worker SIGKILLed", worker_killed),
    ("6 PostgreSQL restarted", postgres_restart),
]
