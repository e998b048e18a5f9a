"""Benchmark (issue 15): storing and reading back evidence photos, beside the store's floor.

    python bench/files.py                        # 1,000 photos of 2 MB, SQLite and PostgreSQL
    python bench/files.py --photos 100 --db-kind sqlite --json

Each database runs in a child process of its own (a SQLite file ``bench/out/files.sqlite``, a
PostgreSQL database ``duban_bench_files``), which measures, each writing run on a freshly created
database so that neither inherits the other's pages:

- ``floor_store``: the same bytes written straight to the same tables through the bare driver —
  the SHA-256 that addresses them, one ``file_blob`` row and 256 KB ``file_chunk`` rows per photo,
  one transaction per 10 photos;
- ``store``: the engine's path: ``report_progress`` with 10 photos per report (an album), i.e.
  permission and lifecycle checks, type sniffing and structure checks, hashing while reading and
  again while writing, the attachment rows and the audit event;
- ``read``: every photo back through ``export_file`` (permission check, per-chunk reads, hash
  verified) into a sink that counts bytes; ``floor_read``: one bare ``SELECT … ORDER BY seq`` per
  photo (PostgreSQL in binary mode);
- ``large_file``: one 20 MB photo stored and read back under ``tracemalloc``: the peak of Python
  objects allocated (a design that copies the file would need 20 MB or more per copy);

and reports the process's peak resident memory (``VmHWM``) over the whole run.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.children import peak_mb
from bench.common import ROOT, ensure_pg_database, kind_of, raw_connect

OUT = ROOT / "bench" / "out"
MIB = 1024 * 1024
PER_REPORT = 10
URLS = {"sqlite": f"sqlite:///{OUT / 'files.sqlite'}",
        "postgresql": "postgresql://127.0.0.1:5432/duban_bench_files"}


def photos(count: int, size: int) -> Iterator[bytes]:
    """``count`` distinct JPEGs of ``size`` bytes (one random base, a counter written into its
    scan data): as incompressible as camera photos, made without holding them all."""
    from tests.support.samples import jpeg

    base = jpeg(size, seed=15)
    at = 1000
    for number in range(count):
        yield base[:at] + f"{number:016x}".encode() + base[at + 16:]


def prepare(url: str) -> None:
    """A fresh database at the current schema, with a unit, its contact, the office and one
    acknowledged task (everything through the engine services)."""
    from engine.store.db import make_engine
    from engine.store.schema import upgrade

    if kind_of(url) == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{url.split('///', 1)[1]}{suffix}").unlink(missing_ok=True)
    else:
        ensure_pg_database(url, recreate=True)
    engine = make_engine(url, create_dirs=True)
    upgrade(engine)
    from sqlmodel import Session

    from tests.conftest import mark_simulation
    from tests.factories import ISSUED, act, make_city, make_task

    mark_simulation(engine)  # the benchmark plays its clock (2024)
    with Session(engine, expire_on_commit=False) as session:
        city = make_city(session)
        task = make_task(session, city, co=[])
        from engine.tasks.actions import acknowledge

        acknowledge(session=session, task=task.code, actor=act(city.fire_contact), now=ISSUED)
    engine.dispose()


def floor_store(url: str, count: int, size: int) -> float:
    from engine.files.scan import CHUNK

    conn = raw_connect(url)
    pg = kind_of(url) == "postgresql"
    mark = "%s" if pg else "?"
    blob = (f"INSERT INTO file_blob (sha256, size, mime, kind, chunk_size, chunks, created_at) "
            f"VALUES ({', '.join([mark] * 7)})")
    chunk = f"INSERT INTO file_chunk (sha256, seq, data) VALUES ({mark}, {mark}, {mark})"
    started = time.perf_counter()
    for number, photo in enumerate(photos(count, size)):
        if not pg and number % PER_REPORT == 0:
            conn.execute("BEGIN IMMEDIATE")
        sha = hashlib.sha256(photo).hexdigest()
        conn.execute(blob, (sha, len(photo), "image/jpeg", "image", CHUNK,
                            -(-len(photo) // CHUNK), "2024-03-05 10:00:00.000000"))
        view = memoryview(photo)
        for seq, offset in enumerate(range(0, len(photo), CHUNK)):
            conn.execute(chunk, (sha, seq, bytes(view[offset:offset + CHUNK])))
        if number % PER_REPORT == PER_REPORT - 1 or number == count - 1:
            conn.commit() if pg else conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def engine_store(url: str, count: int, size: int) -> tuple[float, list[str]]:
    from sqlmodel import Session

    from engine.files.ingest import Upload
    from engine.org.directory import find_person
    from engine.store.db import make_engine
    from engine.tasks.actions import report_progress
    from tests.factories import ISSUED, act

    engine = make_engine(url)
    hashes: list[str] = []
    with Session(engine, expire_on_commit=False) as session:
        contact = act(find_person(session, "张联络"))
        batch: list[bytes] = []
        started = time.perf_counter()
        for number, photo in enumerate(photos(count, size)):
            batch.append(photo)
            if len(batch) == PER_REPORT or number == count - 1:
                files = [Upload(f"照片{number - len(batch) + i + 1}.jpg", io.BytesIO(p))
                         for i, p in enumerate(batch)]
                report_progress(session=session, task="DB-2024-0001", actor=contact,
                                text="现场照片", now=ISSUED, files=files)
                batch = []
        elapsed = time.perf_counter() - started
    engine.dispose()
    hashes = [hashlib.sha256(p).hexdigest() for p in photos(count, size)]
    return elapsed, hashes


class Sink(io.RawIOBase):
    size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.size += len(data)
        return len(data)


def engine_read(url: str, hashes: list[str]) -> tuple[float, int]:
    from sqlmodel import Session

    from engine.files.access import export_file
    from engine.org.directory import find_person
    from engine.store.db import make_engine

    engine = make_engine(url)
    sink = Sink()
    from tests.factories import act

    with Session(engine, expire_on_commit=False) as session:
        office = act(find_person(session, "赵督查"))
        started = time.perf_counter()
        for sha in hashes:
            export_file(session, ref=sha, actor=office, out=sink)  # type: ignore[arg-type]
        elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed, sink.size


def floor_read(url: str, hashes: list[str]) -> tuple[float, int]:
    conn = raw_connect(url)
    pg = kind_of(url) == "postgresql"
    query = ("SELECT data FROM file_chunk WHERE sha256 = %s ORDER BY seq" if pg
             else "SELECT data FROM file_chunk WHERE sha256 = ? ORDER BY seq")
    total = 0
    started = time.perf_counter()
    for sha in hashes:
        rows = conn.cursor(binary=True).execute(query, (sha,)) if pg else conn.execute(query, (sha,))
        for (data,) in rows:
            total += len(data)
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed, total


def hash_only(count: int, size: int) -> float:
    """Seconds SHA-256 alone takes over the photos (what verifying each read must cost)."""
    spent = 0.0
    for photo in photos(count, size):
        started = time.perf_counter()
        hashlib.sha256(photo).hexdigest()
        spent += time.perf_counter() - started
    return spent


def large_file(url: str) -> tuple[float, float]:
    """Peak MB of Python objects while storing, then while reading back, one 20 MB photo."""
    (photo,) = photos(1, 20 * MIB)
    photo = photo[:900] + b"large-file-bench" + photo[916:]
    tracemalloc.start()
    try:
        engine_store_one(url, photo)
        _, stored = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        engine_read(url, [hashlib.sha256(photo).hexdigest()])
        _, read = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return stored / MIB, read / MIB


def engine_store_one(url: str, photo: bytes) -> None:
    from sqlmodel import Session

    from engine.files.ingest import Upload
    from engine.org.directory import find_person
    from engine.store.db import make_engine
    from engine.tasks.actions import report_progress
    from tests.factories import ISSUED, act

    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        report_progress(session=session, task="DB-2024-0001",
                        actor=act(find_person(session, "张联络")),
                        text="大图", now=ISSUED, files=[Upload("大图.jpg", io.BytesIO(photo))])
    engine.dispose()


def child(url: str, count: int, size: int) -> dict[str, Any]:
    prepare(url)
    floor = floor_store(url, count, size)
    hashes = [hashlib.sha256(p).hexdigest() for p in photos(count, size)]
    floor_r, floor_bytes = floor_read(url, hashes)
    prepare(url)
    store, hashes = engine_store(url, count, size)
    read, read_bytes = engine_read(url, hashes)
    hashing = hash_only(count, size)
    assert read_bytes == floor_bytes == count * size, (read_bytes, floor_bytes)
    stored_peak, read_peak = large_file(url)
    return {"db": kind_of(url), "photos": count, "mb": count * size / MIB, "store_s": store,
            "floor_store_s": floor, "read_s": read, "floor_read_s": floor_r, "hash_s": hashing,
            "large_store_peak_mb": stored_peak, "large_read_peak_mb": read_peak,
            "peak_mb": peak_mb()}


def rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The figures in ``bench/run.py``'s shape (one line per measurement)."""
    mb, db, n = result["mb"], result["db"], result["photos"]
    out = []
    hashing = f"; SHA-256 alone {mb / result['hash_s']:.0f} MB/s"
    for name, seconds, floor, note in (
            ("files_store", result["store_s"], result["floor_store_s"], ""),
            ("files_read", result["read_s"], result["floor_read_s"], hashing)):
        out.append({"name": f"{name} ({mb / seconds:.0f} MB/s; floor {mb / floor:.0f} MB/s{note})",
                    "n": n, "db": db, "seconds": round(seconds, 3),
                    "baseline_seconds": round(floor, 3), "ratio": round(seconds / floor, 2),
                    "peak_mb": round(result["peak_mb"]), "target": "-", "met": None})
    worst = max(result["large_store_peak_mb"], result["large_read_peak_mb"])
    out.append({"name": f"files_large_20MB (Python objects: store {result['large_store_peak_mb']:.1f} MB, "
                        f"read {result['large_read_peak_mb']:.1f} MB)", "n": 1, "db": db,
                "seconds": None, "baseline_seconds": None, "ratio": None,
                "peak_mb": round(worst, 1), "target": "<20MB per copy", "met": worst < 20})
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=1000)
    parser.add_argument("--size-mb", type=float, default=2.0)
    parser.add_argument("--db-kind", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    size = int(args.size_mb * MIB)
    if args.child:
        sys.stdout.write(json.dumps(child(args.child, args.photos, size)) + "\n")
        return 0
    OUT.mkdir(exist_ok=True)
    kinds = ["sqlite", "postgresql"] if args.db_kind == "both" else [args.db_kind]
    for kind in kinds:
        done = subprocess.run([sys.executable, __file__, "--child", URLS[kind], "--photos",
                               str(args.photos), "--size-mb", str(args.size_mb)],
                              check=True, capture_output=True, text=True, cwd=ROOT)
        for row in rows(json.loads(done.stdout.strip().splitlines()[-1])):
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n" if args.json else
                             f"{row['name']:<70} {row['db']:<10} {row['seconds']} s vs "
                             f"{row['baseline_seconds']} s  ratio {row['ratio']}  "
                             f"peak {row['peak_mb']} MB\n")
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
