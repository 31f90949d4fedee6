"""The processes under test: a database of its own, gunicorn, a supervised Celery worker and beat."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parents[2]
VISIBILITY_TIMEOUT = 20  # seconds before a message a dead worker held is delivered again
FOLLOW_UP_LEASE = 30  # seconds before a follow-up sent but not finished (a message Redis lost) is sent again
REVALUATION_CHUNK_SIZE = 100  # many small chunk tasks, so a kill lands in the middle of a revaluation


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def require_loopback(url: str, what: str) -> None:
    host = urlsplit(url).hostname or ""
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"{what} must be on the loopback interface, not {host!r}")


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def run_shell(command: str, timeout: float = 60) -> None:
    """One of the operator's commands (CHAOS_REDIS_STOP, ...); its output goes to our log."""
    result = subprocess.run(command, shell=True, timeout=timeout, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"`{command}` exited {result.returncode}: {result.stderr.strip()[-500:]}")


class Process:
    """One child in its own process group, its output in a log file."""

    def __init__(self, name: str, command: list[str], env: dict, log_dir: Path):
        self.name, self.command, self.env = name, command, env
        self.log_path = log_dir / f"{name}.log"
        self.popen: subprocess.Popen | None = None

    def start(self) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - kept open for the child's lifetime
        self.popen = subprocess.Popen(
            self.command, env=self.env, cwd=BASE_DIR, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def signal(self, sig) -> None:
        if self.alive():
            os.killpg(self.popen.pid, sig)

    def stop(self, timeout: float = 20) -> None:
        if self.popen is None:
            return
        self.signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.popen.wait()
        self.kill_group()

    def kill_group(self) -> None:
        """Whatever the child left behind in its group (prefork children, gunicorn workers)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)


class Stack:
    """gunicorn (2 workers), one Celery worker (threads) restarted as a supervisor would, and beat."""

    def __init__(self, database_url: str, broker_url: str, cache_url: str, log_dir: Path):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_dir = log_dir
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker_url,
            "CACHE_URL": cache_url,
            "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            "FOLLOW_UP_LEASE_SECONDS": str(FOLLOW_UP_LEASE),
            "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",  # the loopback receiver of the webhook check
            "WEBHOOK_RETRY_BASE_SECONDS": "2",
            "CELERY_UNACKED_RESTORE_INTERVAL": "2",
            "CELERY_UNACKED_RESTORE_THROTTLE": "2",
            "REVALUATION_CHUNK_SIZE": str(REVALUATION_CHUNK_SIZE),
            "API_THROTTLE_RATE": "100000/minute",
            "PYTHONUNBUFFERED": "1",
        }
        python = sys.executable
        self.web = Process(
            "gunicorn",
            [python, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{self.port}", "-w", "2", "--threads", "4",
             "--timeout", "60", "--graceful-timeout", "5"],
            self.env, log_dir,
        )  # fmt: skip
        self.beat = Process(
            "beat",
            [python, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO", "-s", str(log_dir / "beat-schedule")],
            self.env,
            log_dir,
        )
        self.worker_generation = 0
        self.worker = self._new_worker()
        self.worker_restarts = 0  # workers that exited on their own and were started again
        self.beat_restarts = 0
        self.worker_kills = 0  # workers the harness SIGKILLed on purpose
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._supervisor = threading.Thread(target=self._supervise, daemon=True)

    def _new_worker(self) -> Process:
        self.worker_generation += 1
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=threads", "--concurrency=4"]
        command += [
            "--without-mingle",
            "--without-gossip",
            "--loglevel=INFO",
            "-n",
            f"chaos{self.worker_generation}@%h",
        ]
        return Process(f"worker-{self.worker_generation}", command, self.env, self.log_dir)

    def start(self) -> None:
        self.web.start()
        self.worker.start()
        self.beat.start()
        self._supervisor.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if not self.web.alive():
                    raise RuntimeError(f"gunicorn exited; see {self.web.log_path}") from None
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not listen within 60 s")

    def _supervise(self) -> None:
        """systemd's Restart=always for the worker and beat: a process that exits on its own is started again."""
        while not self._stopping.wait(1):
            with self._lock:
                if not self.worker.alive():
                    print(f"  ! {self.worker.name} exited ({self.worker.popen.returncode}); starting a new one")
                    self.worker.kill_group()
                    self.worker_restarts += 1
                    self.worker = self._new_worker()
                    self.worker.start()
                if not self.beat.alive():
                    print(f"  ! beat exited ({self.beat.popen.returncode}); starting it again")
                    self.beat_restarts += 1
                    self.beat.start()

    def kill_worker(self) -> None:
        """SIGKILL the worker mid-task and start a new one (what a crash and a supervisor do)."""
        with self._lock:
            self.worker.signal(signal.SIGKILL)
            self.worker.popen.wait()
            self.worker_kills += 1
            self.worker = self._new_worker()
            self.worker.start()

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            for process in (self.beat, self.worker, self.web):
                process.stop()
