"""The live status line: a bar on a terminal, a plain line every few seconds otherwise."""

import sys
import time

BAR_WIDTH = 24
PLAIN_EVERY_SECONDS = 5.0


class Progress:
    def __init__(self, stream=sys.stderr):
        self.stream = stream
        self.tty = stream.isatty()
        self.last_plain = 0.0

    def show(self, *, phase: str, done: float, total: float, totals: dict, rate_window: dict) -> None:
        fraction = min(1.0, done / total) if total > 0 else 1.0
        filled = int(BAR_WIDTH * fraction)
        p99 = rate_window.get("p99_ms")
        line = (
            f"{phase:<8} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done:6.1f}/{total:.0f}"
            f" | open {totals['open']}/{totals['planned']}"
            f" | sent {rate_window['sent']:.0f}/s ack {rate_window['acked']:.0f}/s recv {rate_window['delivered']:.0f}/s"
            f" | p99 {'-' if p99 is None else f'{p99:.0f} ms'}"
            f" | err {totals['errors']} drop {totals['disconnects']} fail {totals['failed']}"
            f" | tool cpu {100 * totals['cpu_max']:.0f}%"
        )
        now = time.monotonic()
        if self.tty:
            self.stream.write("\r" + line[:200] + "\x1b[K")
            self.stream.flush()
        elif now - self.last_plain >= PLAIN_EVERY_SECONDS:
            self.stream.write(line + "\n")
            self.stream.flush()
            self.last_plain = now

    def done(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()
