"""Run a command and start it again whenever it exits on its own: `make run`'s worker stays up.

    python -m scripts.supervise -- celery -A config worker ...

honcho stops everything when one process exits, so a worker that dies (a broker outage it cannot recover
from, say) would otherwise take `make run` down with it. A stop signal (SIGTERM from honcho on Ctrl-C, or
SIGINT) is passed to the command, and once it has exited the supervisor exits too (0 when the command ended by
that signal, else its status).
Production uses a real supervisor instead (see docs/operations.md: systemd ``Restart=always``).
"""

import signal
import subprocess
import sys
import time

RESTART_DELAY_SECONDS = 2


def main(argv: list[str]) -> int:
    command = argv[argv.index("--") + 1 :] if "--" in argv else argv
    if not command:
        print("usage: python -m scripts.supervise -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    stopping = False
    child: subprocess.Popen | None = None

    def stop(signum, frame):
        nonlocal stopping
        stopping = True
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while True:
        # Its own process group: a signal sent to the supervisor's group (honcho's SIGTERM) reaches it once, from here.
        child = subprocess.Popen(command, start_new_session=True)
        status = child.wait()
        if stopping:
            return 0 if status < 0 else status  # ended by the signal it was asked to stop with: a clean stop
        print(
            f"supervise: {command[0]} exited with {status}; starting it again in {RESTART_DELAY_SECONDS} s",
            file=sys.stderr,
        )
        time.sleep(RESTART_DELAY_SECONDS)
        if stopping:
            return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
