"""Benchmark at city scale: `make bench` (= .venv/bin/python bench/run.py). Not part of make test.

1. Generates a city-scale database in a temporary instance (bench/fixture.py): 1,000
   waterbodies over the 41 districts, 20,000 scored assessments, 200 users.
2. Measures scoring in-process on one core (pinned to one CPU, counting this process's CPU
   time), and how long each standing takes to compute with the cache empty.
3. Serves the app with gunicorn (sync workers; --workers, default 2 for this 2-core box) on
   127.0.0.1 and loads every page with wrk (Debian package `wrk`; bench/wrk.lua) for a bounded
   time each (--duration, default 5 s, after a 1 s warm-up for the GETs), 2 connections, signed
   in as the fixture's admin, beside the trivial GET /healthz measured in the same run. Saves
   go to one draft per connection (each kept save answers 303 and is one version on); each submit
   takes a fresh draft from a pool of ~1,600, so the run is bounded in count as well.
4. Prints a table with p50 / p95 latency, throughput and the ratio to /healthz, the targets as
   held / failed, the peak memory of each worker, and checks that no write was lost.

Exit status 0 when every target held, 1 otherwise, 2 when wrk is missing.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import fixture as fixture_module  # noqa: E402

HOST = "127.0.0.1"  # the load never leaves this machine
LUA = Path(__file__).with_name("wrk.lua")

# targets besides the per-endpoint p50 ratios (Endpoint.target)
TARGET_SCORING_PER_S = 5000
TARGET_WORKER_MB = 150


@dataclass
class Endpoint:
    name: str
    method: str
    path: str
    route: str  # the Flask rule that must exist for this endpoint to be measured
    expect: int  # the status every response must have
    target: float | None = None  # max p50 ratio to the trivial endpoint
    mode: str = "fixed"
    items: list[tuple[int, int]] = field(default_factory=list)
    body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    warmup: bool = True
    result: dict | None = None
    note: str = ""


# ---------------------------------------------------------------------------------------------
# server


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_gunicorn(workers: int, port: int, instance: Path, database: str) -> subprocess.Popen:
    env = os.environ | {
        "HAPPY_RIVERS_DATABASE": database,
        "HAPPY_RIVERS_UPLOAD_FOLDER": str(instance / "uploads"),
        "HAPPY_RIVERS_SECRET_KEY": "bench-secret-not-for-production",
    }
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--bind",
        f"{HOST}:{port}",
        "--chdir",
        str(ROOT),
        "--log-level",
        "warning",
        "--error-logfile",
        str(instance / "gunicorn.log"),
        "app:create_app()",
    ]
    proc = subprocess.Popen(cmd, env=env, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if http_request(port, "GET", "/healthz")[0] == 200 and len(workers_of(proc.pid)) == (
                workers
            ):
                return proc
        except OSError:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with {proc.returncode}; see {instance}/gunicorn.log")
        time.sleep(0.2)
    stop(proc)
    raise SystemExit("gunicorn did not answer /healthz within 30 s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


def workers_of(master_pid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # the command may contain spaces and parentheses: fields start after the last ")"
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == master_pid:
                pids.append(int(entry.name))
    return pids


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used so far."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def http_request(port, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        data = body.encode() if isinstance(body, str) else body
        conn.request(method, path, body=data, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        conn.close()


CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)


def login(port: int, username: str, password: str) -> tuple[str, str]:
    """Sign in like a browser; returns the session cookie header and a CSRF token."""
    status, headers, html = http_request(port, "GET", "/login")
    cookie = SimpleCookie(headers.get("Set-Cookie", ""))
    token = next(g for g in CSRF.search(html).groups() if g)
    cookies = "; ".join(f"{k}={v.value}" for k, v in cookie.items())
    body = urlencode({"username": username, "password": password, "csrf_token": token})
    status, headers, _ = http_request(
        port,
        "POST",
        "/login",
        body,
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookies},
    )
    if status != 302:
        raise SystemExit(f"bench login as {username} failed: HTTP {status}")
    cookie = SimpleCookie(headers["Set-Cookie"])
    cookies = "; ".join(f"{k}={v.value}" for k, v in cookie.items())
    status, _, html = http_request(port, "GET", "/waterbodies", headers={"Cookie": cookies})
    token = next(g for g in CSRF.search(html).groups() if g)
    return cookies, token


# ---------------------------------------------------------------------------------------------
# wrk


def run_wrk(
    port: int, ep: Endpoint, seconds: float, threads: int, workdir: Path, workers: list[int]
) -> dict:
    spec = workdir / f"{ep.name.replace(' ', '_').replace('/', '_')}.spec"
    lines = [
        f"method\t{ep.method}",
        f"path\t{ep.path}",
        f"mode\t{ep.mode}",
        f"threads\t{threads}",
    ]
    if ep.body is not None:
        lines.append(f"body\t{ep.body}")
    lines += [f"header\t{k}: {v}" for k, v in ep.headers.items()]
    lines += [f"item\t{i}\t{v}" for i, v in ep.items]
    spec.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # one connection per thread: the pool and track modes rely on strict request/response turns
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{threads}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        f"http://{HOST}:{port}",
        "--",
        str(spec),
    ]
    cpu_before = cpu_seconds(workers)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=True)
    cpu_used = cpu_seconds(workers) - cpu_before
    line = next((x for x in out.stdout.splitlines() if x.startswith("JSON ")), None)
    if line is None:
        raise SystemExit(f"wrk gave no result for {ep.name}:\n{out.stdout}\n{out.stderr}")
    result = json.loads(line[5:])
    result["statuses"] = {int(k): v for k, v in result["statuses"].items()}
    if ep.mode == "fixed":  # wrk.lua reads no bodies here: statuses > 399 are the errors
        failed = result["errors"]["status"]
        result["statuses"] = {ep.expect: result["requests"] - failed}
        if failed:
            result["statuses"]["4xx-5xx"] = failed
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    # the workers' own CPU per request: unlike latency, barely moved by other load on the box
    result["cpu_ms"] = cpu_used * 1000 / result["requests"] if result["requests"] else None
    return result


# ---------------------------------------------------------------------------------------------
# in-process measurements


def measure_scoring(rounds: int = 7, n: int = 2000) -> tuple[float, float]:
    """Assessments scored per CPU second on one core: best of `rounds` passes over n answers.

    CPU time of this process (pinned to one CPU), so other work on the machine does not count.
    """
    import random

    import scoring
    from store.demo import demo_answers

    rng = random.Random(7)
    cases = []
    for i in range(n):
        rubric = scoring.load_rubric("cq-river" if i % 5 else "cq-reservoir")
        cases.append((rubric, demo_answers(rubric, rng, (0.97, 0.86, 0.7)[i % 3])))
    affinity = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(affinity)})  # one core, honestly
    try:
        for rubric, answers in cases[:200]:  # warm up: rubric caches, memoized formatting
            scoring.score(rubric, answers)
        best = best_full = 0.0
        for _ in range(rounds):
            start = time.process_time()
            for rubric, answers in cases:
                scoring.score(rubric, answers)
            best = max(best, n / (time.process_time() - start))
        for _ in range(rounds):
            start = time.process_time()
            for rubric, answers in cases:
                json.dumps(scoring.score(rubric, answers).to_dict(), ensure_ascii=False)
            best_full = max(best_full, n / (time.process_time() - start))
    finally:
        os.sched_setaffinity(0, affinity)
    return best, best_full


def measure_cold_standings(app) -> dict[str, float]:
    """Milliseconds to compute each standing from the database with the cache empty."""
    import clock
    import store
    from store import standings

    timings = {}
    with app.app_context():
        db = store.get_db()
        for name, compute in (
            ("district standings", lambda: standings.district_standings(db, clock.today())),
            ("waterbody standings", lambda: standings.waterbody_standings(db)),
            ("acceptance spans", lambda: standings.acceptance_spans(db)),
        ):
            best = float("inf")
            for _ in range(3):
                standings._cache.clear()
                start = time.perf_counter()
                compute()
                best = min(best, time.perf_counter() - start)
            timings[name] = best * 1000
        standings._cache.clear()
    return timings


# ---------------------------------------------------------------------------------------------


def form_body(rubric_id: str, answers: dict, csrf: str, action: str) -> str:
    import scoring
    from forms.inspection import form_data_from_answers

    data = form_data_from_answers(scoring.load_rubric(rubric_id), answers)
    data = {k: ("y" if v is True else v) for k, v in data.items()}
    data |= {"csrf_token": csrf, "action": action}
    # {version} stays literal for wrk.lua to fill in per request
    return urlencode(data, doseq=True) + "&version={version}"


def routes(app) -> set[str]:
    return {rule.rule for rule in app.url_map.iter_rules()}


def api_score_body(answers: dict) -> str:
    """The request body of POST /api/v1/score, as the API documents it."""
    return json.dumps({"rubric": "cq-river", "answers": answers}, ensure_ascii=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--duration", type=float, default=5, help="seconds per endpoint")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads = connections")
    parser.add_argument(
        "--scale",
        type=int,
        default=1,
        help="times the city: 1 = 1,000 waterbodies, 20,000 assessments, 200 users (make bench "
        "SCALE=10 for ten times that); --waterbodies/--assessments/--users override it",
    )
    parser.add_argument("--waterbodies", type=int)
    parser.add_argument("--assessments", type=int)
    parser.add_argument("--users", type=int)
    parser.add_argument("--keep", action="store_true", help="keep the temporary instance")
    args = parser.parse_args(argv)
    args.waterbodies = args.waterbodies or 1000 * args.scale
    args.assessments = args.assessments or 20_000 * args.scale
    args.users = args.users or 200 * args.scale

    if shutil.which("wrk") is None:
        print("bench needs wrk: sudo apt-get install wrk", file=sys.stderr)
        return 2
    import sqlite3

    import clock
    from app import create_app

    instance = Path(tempfile.mkdtemp(prefix="happy-rivers-bench-"))
    database = str(instance / "bench.db")
    print(
        f"# happy-rivers benchmark · {clock.today()} · nproc {os.cpu_count()} · "
        f"Python {sys.version.split()[0]} · SQLite {sqlite3.sqlite_version} · "
        f"gunicorn sync workers {args.workers} · wrk {args.threads} threads × 1 connection, "
        f"127.0.0.1, "
        f"{args.duration:g} s per endpoint · instance {instance}"
    )
    start = time.perf_counter()
    fx = fixture_module.build(
        database,
        n_waterbodies=args.waterbodies,
        n_assessments=args.assessments,
        n_users=args.users,
    )
    size_mb = os.path.getsize(database) / 2**20
    print(
        f"generated in {time.perf_counter() - start:.1f} s: "
        f"{fx.counts['waterbodies']} waterbodies, "
        f"{fx.counts['assessments']} assessments ({fx.counts['assessments'] - len(fx.submit_pool)}"
        f" + {len(fx.submit_pool)} drafts for the submit POSTs), {fx.counts['users']} users, "
        f"{fx.counts['audit_log']} audit rows, {size_mb:.0f} MB"
    )
    print(
        "status mix: "
        + ", ".join(f"{k} {v}" for k, v in sorted(fx.status_mix.items(), key=lambda kv: -kv[1]))
        + f"; titles granted {fx.counts['titles_granted']}, revoked {fx.counts['titles_revoked']}"
    )

    app = create_app(
        {"DATABASE": database, "SECRET_KEY": "x", "UPLOAD_FOLDER": str(instance / "uploads")}
    )
    available = routes(app)
    token = None
    if "/api/v1/score" in available:
        import store
        from store import users

        with app.app_context():
            token = users.create_token(store.get_db(), 1, "bench")

    score_rate, score_full_rate = measure_scoring()
    cold = measure_cold_standings(app)

    port = free_port()
    proc = start_gunicorn(args.workers, port, instance, database)
    failures: list[str] = []
    try:
        cookie, csrf = login(port, fx.admin, fx.password)
        common = {"Cookie": cookie}
        form_headers = common | {"Content-Type": "application/x-www-form-urlencoded"}
        drafts = fx.drafts
        # the saves go to river drafts only, one per connection: one form body fits them all
        track = [(d["id"], d["version"]) for d in drafts if d["rubric_id"] == "cq-river"]
        track = track[: args.threads]
        river = fx.answers["cq-river"]
        endpoints = [
            Endpoint("GET /healthz (trivial)", "GET", "/healthz", "/healthz", 200),
            Endpoint(
                "GET /leaderboard/districts",
                "GET",
                "/leaderboard/districts",
                "/leaderboard/districts",
                200,
                5,
            ),
            Endpoint(
                "GET /leaderboard/waterbodies",
                "GET",
                "/leaderboard/waterbodies",
                "/leaderboard/waterbodies",
                200,
                5,
            ),
            Endpoint("GET /progress", "GET", "/progress", "/progress", 200, 5),
            Endpoint(
                "GET form /assessments/<id>/edit",
                "GET",
                "/assessments/{id}/edit",
                "/assessments/<int:assessment_id>/edit",
                200,
                4,
                items=[(d["id"], d["version"]) for d in drafts[:200]],
            ),
            Endpoint(
                "POST draft save",
                "POST",
                "/assessments/{id}/edit",
                "/assessments/<int:assessment_id>/edit",
                303,  # Post/Redirect/Get: a kept save redirects to the form
                4,
                mode="track",
                items=track,
                body=form_body("cq-river", river, csrf, "save"),
                headers=form_headers,
                warmup=False,
            ),
            Endpoint(
                "POST submit",
                "POST",
                "/assessments/{id}/edit",
                "/assessments/<int:assessment_id>/edit",
                302,
                mode="pool",
                items=[(i, 1) for i in fx.submit_pool_river],
                body=form_body("cq-river", river, csrf, "submit"),
                headers=form_headers,
                warmup=False,
            ),
            Endpoint(
                "POST /api/v1/score",
                "POST",
                "/api/v1/score",
                "/api/v1/score",
                200,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                body=api_score_body(river),
            ),
        ]
        before_versions = dict(track)
        workers = workers_of(proc.pid)
        for ep in endpoints:
            if ep.route not in available:
                ep.note = "not built yet"
                continue
            ep.headers = common | ep.headers if "Authorization" not in ep.headers else ep.headers
            if ep.mode == "fixed":  # the status wrk will not report: checked once here
                path = ep.path.replace("{id}", str(ep.items[0][0])) if ep.items else ep.path
                status = http_request(port, ep.method, path, ep.body, ep.headers)[0]
                if status != ep.expect:
                    raise SystemExit(f"{ep.name}: HTTP {status}, expected {ep.expect}")
            if ep.warmup:
                run_wrk(port, ep, 1, args.threads, instance, workers)
            ep.result = run_wrk(port, ep, args.duration, args.threads, instance, workers)
        worker_mb = {pid: peak_rss_mb(pid) for pid in workers_of(proc.pid)}
    finally:
        stop(proc)

    # ---- nothing lost: every acknowledged write is in the database, once. wrk stops at its
    # deadline without reading the responses in flight, so up to one request per connection
    # may be written but not acknowledged: acknowledged ≤ kept ≤ sent.
    import sqlite3 as _sqlite3

    conn = _sqlite3.connect(database)
    lost, kept_notes = [], []
    save, submit = endpoints[5], endpoints[6]
    if save.result:
        ids = list(before_versions)
        marks = ",".join("?" * len(ids))
        kept = sum(
            conn.execute("SELECT version FROM assessments WHERE id = ?", [i]).fetchone()[0] - v
            for i, v in before_versions.items()
        )
        audited = conn.execute(
            "SELECT count(*) FROM audit_log WHERE action = 'assessment_saved' "
            f"AND entity_id IN ({marks})",
            [str(i) for i in ids],
        ).fetchone()[0]
        acknowledged, sent = save.result["statuses"].get(303, 0), save.result["sent"]
        kept_notes.append(f"saves {acknowledged} acknowledged ≤ {kept} kept ≤ {sent} sent")
        if not (acknowledged <= kept == audited <= sent):
            lost.append(f"saves: {acknowledged} ack, {kept} kept, {audited} audited, {sent} sent")
    if submit.result:
        ids = [i for i, _ in submit.items]
        marks = ",".join("?" * len(ids))
        kept = conn.execute(
            f"SELECT count(*) FROM assessments WHERE id IN ({marks}) AND status = 'submitted'", ids
        ).fetchone()[0]
        audited = conn.execute(
            "SELECT count(*) FROM audit_log WHERE action = 'assessment_submitted' "
            f"AND entity_id IN ({marks})",
            [str(i) for i in ids],
        ).fetchone()[0]
        acknowledged, sent = submit.result["statuses"].get(302, 0), submit.result["sent"]
        kept_notes.append(f"submits {acknowledged} acknowledged ≤ {kept} kept ≤ {sent} sent")
        if not (acknowledged <= kept == audited <= sent):
            lost.append(f"submits: {acknowledged} ack, {kept} kept, {audited} audited, {sent} sent")
    integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    conn.close()

    # ---- report
    trivial = endpoints[0].result
    print()
    header = (
        f"{'endpoint':<34} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'p50 ×':>6} {'CPU ms':>7} {'CPU ×':>6}  {'target':<10} result"
    )
    print(header)
    print("-" * (len(header) + 8))
    for ep in endpoints:
        r = ep.result
        if r is None:
            print(f"{ep.name:<34} {'—':>8} {'':>7} {'':>7} {'':>7} {'':>6} {'':>7} {'':>6}  "
                  f"{'':<10} {ep.note}")  # fmt: skip
            if ep.target is not None:
                failures.append(f"{ep.name}: {ep.note}")
            continue
        if not r["requests"]:
            print(f"{ep.name:<34} {0:>8}  no response within {args.duration:g} s: FAILED")
            failures.append(f"{ep.name}: no response")
            continue
        ratio = r["p50_us"] / trivial["p50_us"]
        cpu_ratio = r["cpu_ms"] / trivial["cpu_ms"] if trivial["cpu_ms"] else float("nan")
        bad = {s: n for s, n in r["statuses"].items() if s != ep.expect}
        verdict = ""
        target = f"p50 ≤ {ep.target:g}×" if ep.target else "—"
        if ep.target is not None:
            verdict = "held" if ratio <= ep.target else "FAILED"
            if verdict == "FAILED":
                failures.append(f"{ep.name}: p50 {ratio:.1f}× trivial > {ep.target:g}×")
        transport = sum(r["errors"][k] for k in ("connect", "read", "write", "timeout"))
        if bad or transport:
            verdict = (verdict + " " if verdict else "") + f"ERRORS {bad or ''} {transport or ''}"
            failures.append(f"{ep.name}: unexpected responses {bad}, transport errors {transport}")
        notes = []
        if ep.mode == "pool":
            notes.append(f"{r['sent']} of {len(ep.items)} drafts")
            if r["sent"] >= len(ep.items):
                notes.append("pool used up before the end: req/s understated")
        print(
            f"{ep.name:<34} {r['requests']:>8} {r['rps']:>7.1f} {r['p50_us'] / 1000:>7.2f} "
            f"{r['p95_us'] / 1000:>7.2f} {ratio:>5.1f}× {r['cpu_ms']:>7.2f} {cpu_ratio:>5.1f}×  "
            f"{target:<10} {verdict or 'measured'}" + (f" ({', '.join(notes)})" if notes else "")
        )
    print(
        "p50 × = p50 / p50 of GET /healthz in this run; CPU ms = the gunicorn workers' CPU time "
        "per request (user + system), CPU × = the same ratio by CPU"
    )
    print()
    ok = score_rate >= TARGET_SCORING_PER_S
    print(
        f"scoring.score in-process, one core: {score_rate:,.0f} assessments/s "
        f"(target ≥ {TARGET_SCORING_PER_S:,}: {'held' if ok else 'FAILED'}); "
        f"with to_dict() + JSON: {score_full_rate:,.0f}/s"
    )
    if not ok:
        failures.append(f"scoring {score_rate:.0f}/s < {TARGET_SCORING_PER_S}")
    peak = max(worker_mb.values())
    ok = peak < TARGET_WORKER_MB
    print(
        "gunicorn worker peak RSS (VmHWM): "
        + ", ".join(f"pid {pid} {mb:.1f} MB" for pid, mb in sorted(worker_mb.items()))
        + f" (target < {TARGET_WORKER_MB} MB: {'held' if ok else 'FAILED'})"
    )
    if not ok:
        failures.append(f"worker peak {peak:.1f} MB ≥ {TARGET_WORKER_MB} MB")
    print(
        "cold standings (in-process, cache empty): "
        + ", ".join(f"{k} {v:.1f} ms" for k, v in cold.items())
    )
    print(
        f"nothing lost: {'yes' if not lost else 'NO — ' + '; '.join(lost)} "
        f"({'; '.join(kept_notes)}, each kept write audited once); integrity_check {integrity}"
    )
    if lost or integrity != "ok":
        failures += lost or [f"integrity_check {integrity}"]
    print()
    if failures:
        print("FAILED: " + " · ".join(failures))
        print(
            "profile a page: .venv/bin/pip install pyinstrument; rerun with --keep; "
            ".venv/bin/python bench/profile.py INSTANCE/bench.db '/assessments/{draft}/edit'"
        )
    else:
        print("all targets held")
    if args.keep:
        print(f"instance kept: {instance}")
    else:
        shutil.rmtree(instance, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
