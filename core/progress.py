"""Progress for long management commands, visible in a terminal and in a log alike.

tqdm redraws one line with carriage returns: right on a terminal, unreadable (or, with ``disable=None``, absent)
in a log file, a CI job or ``docker logs``. Off a terminal this prints one plain line per step instead.
"""

import time

from tqdm import tqdm

PROGRESS_LOG_STEP_PERCENT = 10


class Progress:
    """A tqdm bar when ``stream`` is a terminal; otherwise a line every ``PROGRESS_LOG_STEP_PERCENT`` of ``total``
    (and at the end), with the rate, so a log shows how far a run got and how fast it goes."""

    def __init__(self, *, total: int, desc: str, unit: str, stream):
        self.total, self.desc, self.unit, self.stream = total, desc, unit, stream
        self.done = 0
        self.started = time.monotonic()
        self.next_report = 0
        isatty = getattr(stream, "isatty", None)
        self.bar = tqdm(total=total, desc=desc, unit=unit, file=stream) if isatty and isatty() else None

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def update(self, count: int) -> None:
        self.done += count
        if self.bar is not None:
            self.bar.update(count)
            return
        percent = 100 * self.done // self.total if self.total else 100
        if percent >= self.next_report:
            self._line()
            self.next_report = (percent // PROGRESS_LOG_STEP_PERCENT + 1) * PROGRESS_LOG_STEP_PERCENT

    def _line(self) -> None:
        elapsed = time.monotonic() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        percent = 100 * self.done // self.total if self.total else 100
        counts = f"{self.done}/{self.total} {self.unit} ({percent}%)"
        self.stream.write(f"{self.desc}: {counts} in {elapsed:.1f}s, {rate:.0f} {self.unit}/s\n")
        flush = getattr(self.stream, "flush", None)
        if flush:
            flush()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.next_report <= 100:
            self._line()  # the last step was not reported yet (or nothing was done)
