"""Configuration at scale: what a command costs with a long feeds.yaml, and what
an oversized file or storyline costs before it is refused.

    .venv/bin/python bench/bench_config.py              # 10,000 feeds
    .venv/bin/python bench/bench_config.py --feeds 20000

Runs the real CLI (`python -m bot`) in a subprocess against a fresh SQLite file:
the first `feeds list` (the sync adds every feed), the next two (file unchanged:
the sync is skipped), one after the file changed (one feed added); then a 50 MB
feeds.yaml and a storyline with 500,000 phrases, which must be refused quickly
with little memory. Prints a table and writes JSON to bench/out/config.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _run(*args: str) -> tuple[float, int, str, float]:
    """(seconds, exit code, last stderr line, child peak RSS in MB)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=REPO, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - start
    peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    err = (proc.stderr.strip().splitlines() or [""])[-1][:140]
    return elapsed, proc.returncode, err, peak


def _feeds_yaml(path: Path, count: int) -> None:
    lines = ["feeds:"]
    for i in range(count):
        lines.append(f"  - url: https://feeds{i}.example.com/rss.xml\n    name: Feed number {i}")
    path.write_text("\n".join(lines) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--feeds", type=int, default=10_000)
    opts = ap.parse_args()
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        feeds = folder / "feeds.yaml"
        _feeds_yaml(feeds, opts.feeds)
        db = f"sqlite:///{folder / 'db.sqlite'}"
        common = ["--feeds", str(feeds), "--storylines", str(REPO / "storylines"), "--database", db]
        empty = folder / "empty.yaml"
        empty.write_text("feeds: []\n")
        seconds, code, err, _ = _run(
            "feeds", "list", "--feeds", str(empty), "--database", f"sqlite:///{folder / 'e.db'}"
        )
        rows.append({"case": "baseline: no feeds", "seconds": round(seconds, 2), "exit": code})
        for label in ("first command (sync adds all)", "unchanged file", "unchanged file"):
            seconds, code, err, _ = _run("feeds", "list", *common)
            rows.append({"case": label, "seconds": round(seconds, 2), "exit": code})
        _feeds_yaml(feeds, opts.feeds + 1)
        seconds, code, err, _ = _run("feeds", "list", *common)
        rows.append(
            {"case": "file changed (one more feed)", "seconds": round(seconds, 2), "exit": code}
        )

        big = folder / "big.yaml"
        with big.open("w") as fh:
            fh.write("feeds:\n")
            entry = "  - url: https://feeds{i}.example.com/rss.xml\n    name: Feed number {i}\n"
            i = 0
            while fh.tell() < 50 * 1024 * 1024:
                fh.write(entry.format(i=i))
                i += 1
        seconds, code, err, peak = _run("feeds", "list", "--feeds", str(big), "--database", db)
        rows.append(
            {"case": "50 MB feeds.yaml", "seconds": round(seconds, 2), "exit": code,
             "peak_rss_mb": round(peak), "message": err}
        )  # fmt: skip

        stories = folder / "storylines"
        stories.mkdir()
        phrases = "\n".join(f"        - phrase number {n}" for n in range(500_000))
        (stories / "huge.yaml").write_text(
            "id: huge\ntitle: Huge\nmatch:\n  actors:\n    - name: a\n      phrases:\n"
            f"{phrases}\n  topics:\n    - name: t\n      phrases: [x y]\n"
        )
        seconds, code, err, peak = _run("storylines", "list", "--storylines", str(stories),
                                        "--feeds", str(feeds), "--database", db)  # fmt: skip
        rows.append(
            {"case": "storyline with 500,000 phrases", "seconds": round(seconds, 2), "exit": code,
             "peak_rss_mb": round(peak), "message": err}
        )  # fmt: skip

    width = max(len(str(r["case"])) for r in rows)
    print(f"{opts.feeds:,} feeds in feeds.yaml")
    for r in rows:
        extra = f"  peak {r['peak_rss_mb']} MB: {r['message']}" if "message" in r else ""
        print(f"{r['case']:<{width}}  {r['seconds']:>6} s  exit {r['exit']}{extra}")
    out = REPO / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "config.json").write_text(json.dumps({"feeds": opts.feeds, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
