"""Generate a realistic, deterministic duban data set for the benchmarks.

    python bench/generate.py --db sqlite:///bench/out/db-10k.sqlite --tasks 10000
    python bench/generate.py --db postgresql://127.0.0.1:5432/duban_bench_1m --tasks 1000000

1,000 units (departments, districts, towns under districts, companies under departments) with a
head and a contact each, 200 leaders (5 top leaders; the others supervise units), an office,
directives with 跟批 chains, and ``--tasks`` tasks spread over statuses, priorities and deadlines
(overdue, near, far; some extended), each with its lead and 0–3 cooperating units, progress
reports, milestones, escalation levels with their audit events (a valid chain signed with the audit
key — DUBAN_AUDIT_KEY or the key file — like the engine's), extension
requests, re-checks and a history of sent messages.

``next_check_at`` is what the engine itself would hold at :data:`bench.common.NOW`: for every
task the exact next ladder / stale-progress / milestone moment after ``NOW`` — except for
``--due-fraction`` of the tasks, for which something is due at ``NOW`` (half had a lifecycle change
since the last pass, half have a ladder step that fell due since then). The schema comes from
``engine.store.schema.upgrade``; rows go in with ``executemany`` (SQLite) or ``COPY`` (PostgreSQL) with
the secondary indexes dropped during the load and rebuilt after it.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import random
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import NOW, ensure_pg_database, kind_of, raw_connect, sqlite_file, sqlite_text
from engine.tasks.audit import digest
from engine.tasks.audit_key import audit_key, key_id
from models.tally import drop_trigger_ddl

WRITTEN_AT = datetime.now(UTC)
"""The real time of the generation: every generated audit event's ``recorded_at``."""

TZ = ZoneInfo("Asia/Shanghai")
CHUNK = 20_000
BULK_TABLES = ("directive", "task", "task_unit", "progress_report", "milestone", "audit_event",
               "outbox", "extension_request", "recheck")

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段"
GIVEN = "炳森占明建国志强海涛文华立新晓东国庆红军卫东振华永刚学军长江春生德明秀英玉兰桂芳凤霞丽娟建华宏伟俊杰子涵浩然思远嘉怡欣怡"
BUREAUS = ["应急管理", "住房和城乡建设", "交通运输", "生态环境", "自然资源", "水务", "城市管理", "市场监督管理",
           "卫生健康", "教育", "公安", "消防救援", "民政", "财政", "人力资源和社会保障", "商务", "农业农村",
           "文化和旅游", "审计", "统计", "林业", "体育", "医疗保障", "信访", "司法", "退役军人事务",
           "工业和信息化", "发展和改革", "科学技术", "国有资产监督管理"]
DISTRICTS = ["东城", "西城", "南湖", "北山", "高新", "经开", "滨江", "临港", "青山", "白云", "金水", "红旗"]
TOWN_WORDS = ["新华", "光明", "和平", "东风", "柳林", "石桥", "河口", "安平", "长乐", "永安", "兴隆", "平安",
              "丰收", "太平", "青龙"]
TOPICS = ["消防安全隐患整治", "市政消火栓建设", "燃气管道更新改造", "老旧小区改造", "河道清淤", "危化品企业排查",
          "电动自行车充电设施建设", "高层建筑消防设施检测", "群租房安全整治", "道路交通安全隐患治理",
          "餐饮场所燃气报警器安装", "校园周边环境整治", "农村饮水安全", "防汛物资储备", "违法建设拆除",
          "12345诉求办理", "营商环境问题整改", "安全生产大检查问题整改", "森林防火", "城市内涝治理"]
DUE_TEXTS = ["{m}月{d}日前", "{m}月底前", "年底前", "一个月内", "3个工作日内", "{m}月中旬前"]
FEEDBACK = ["已完成现场排查，正在制定整改方案", "已完成整改{p}%，剩余部分按计划推进", "已召开专题会议部署",
            "已完成招标，施工队伍已进场", "整改完成，申请验收"]

STATUS_WEIGHTS = {"draft": 2, "assigned": 15, "acknowledged": 15, "in_progress": 35,
                  "pending_review": 5, "closed": 25, "cancelled": 3}
LADDER = ("assigned", "acknowledged", "in_progress")
OPEN = ("draft", "assigned", "acknowledged", "in_progress", "pending_review")


# --------------------------------------------------------------------------------------------
# Writers: the same rows into SQLite (executemany) or PostgreSQL (COPY)


class Writer:
    def __init__(self, url: str) -> None:
        self.kind = kind_of(url)
        self.conn = raw_connect(url)
        self.dt: Callable[[datetime | None], Any] = sqlite_text if self.kind == "sqlite" else (
            lambda v: v)
        self.saved_indexes: list[str] = []
        if self.kind == "sqlite":
            # The task tallies' triggers would fire per loaded row: off now, recounted at the end
            # (PostgreSQL's replica mode below skips them).
            for statement in drop_trigger_ddl("sqlite"):
                self.conn.execute(statement)
            self.conn.execute("PRAGMA foreign_keys=OFF")
            self.conn.execute("PRAGMA synchronous=OFF")
            self.conn.execute("PRAGMA cache_size=-400000")
            self.conn.execute("BEGIN")
        else:
            self.conn.execute("SET session_replication_role = replica")  # no FK triggers in the load

    def drop_indexes(self) -> None:
        for table in BULK_TABLES:
            if self.kind == "sqlite":
                rows = self.conn.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type='index' AND tbl_name=? "
                    "AND sql IS NOT NULL", (table,)).fetchall()
            else:
                rows = self.conn.execute(
                    "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s "
                    "AND i.schemaname = current_schema() AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
                    "WHERE c.conindid = (quote_ident(i.schemaname)||'.'||quote_ident(i.indexname))::regclass)",
                    (table,)).fetchall()
            for name, sql in rows:
                self.saved_indexes.append(sql)
                self.conn.execute(f'DROP INDEX "{name}"')

    def rebuild_indexes(self) -> None:
        for sql in self.saved_indexes:
            self.conn.execute(sql)

    def insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        rows = list(rows)
        if not rows:
            return 0
        cols = ", ".join(columns)
        if self.kind == "sqlite":
            marks = ", ".join("?" * len(columns))
            self.conn.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)
        else:
            with self.conn.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        return len(rows)

    def finish(self) -> None:
        if self.kind == "sqlite":
            self.conn.execute("COMMIT")
            self.rebuild_indexes()
            self.conn.execute("PRAGMA foreign_keys=ON")
            self.conn.execute("ANALYZE")
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            self.conn.execute("SET session_replication_role = origin")
            self.conn.commit()
            self.rebuild_indexes()
            for table in ("unit", "person", *BULK_TABLES, "summary_run"):
                self.conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)")
            self.conn.commit()
            self.conn.autocommit = True
            self.conn.execute("VACUUM ANALYZE")
        self.conn.close()


# --------------------------------------------------------------------------------------------
# The ladder, exactly as the engine computes it (cached per deadline and priority)


class Ladders:
    def __init__(self) -> None:
        from config.policy import Policy
        from engine.escalation.ladder import ladder

        self.policy = Policy()
        self._ladder = ladder
        self._cache: dict[tuple[datetime, str], list[Any]] = {}

    def steps(self, due_at: datetime, priority: str) -> list[Any]:
        key = (due_at, priority)
        steps = self._cache.get(key)
        if steps is None:
            steps = self._cache[key] = self._ladder(due_at, priority, self.policy)
        return steps

    @staticmethod
    def level_at(steps: list[Any], t: datetime) -> tuple[int, datetime | None]:
        level, at = 0, None
        for s in steps:
            if s.kind == "escalation" and s.at <= t and s.level > level:
                level, at = s.level, s.at
        return level, at


# --------------------------------------------------------------------------------------------
# Organisation


def person_name(rng: random.Random, used: set[str]) -> str:
    while True:
        name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2))))
        if name not in used:
            used.add(name)
            return name


def org(w: Writer, rng: random.Random) -> dict[str, Any]:
    units: list[tuple[Any, ...]] = [("GOV", "市人民政府", "department", "[]", 1, None)]
    depts = []
    for i in range(90):
        name = f"市{BUREAUS[i % len(BUREAUS)]}局" + ("" if i < len(BUREAUS) else f"第{i // len(BUREAUS)}分局")
        depts.append(len(units) + 1)
        units.append((f"D{i + 1:03d}", name, "department",
                      json.dumps([BUREAUS[i % len(BUREAUS)][:2] + f"{i}"], ensure_ascii=False),
                      len(units) + 1, 1))
    districts = []
    for i, d in enumerate(DISTRICTS):
        districts.append(len(units) + 1)
        units.append((f"Q{i + 1:02d}", f"{d}区", "district", json.dumps([d], ensure_ascii=False),
                      len(units) + 1, 1))
    for i in range(180):
        parent = districts[i % len(districts)]
        name = f"{DISTRICTS[i % len(DISTRICTS)]}区{TOWN_WORDS[i % len(TOWN_WORDS)]}{i // len(TOWN_WORDS) + 1}镇"
        units.append((f"T{i + 1:04d}", name, "town", "[]", len(units) + 1, parent))
    i = 0
    while len(units) < 1000:
        i += 1
        parent = depts[i % len(depts)]
        units.append((f"C{i:04d}", f"市{TOPICS[i % len(TOPICS)][:4]}第{i}有限公司", "company", "[]",
                      len(units) + 1, parent))
    w.insert("unit", ("code", "name", "kind", "short_names", "id", "parent_id"), units)

    used: set[str] = set()
    people: list[tuple[Any, ...]] = []
    pid = 0

    def add(name: str, title: str, roles: list[str], unit_id: int | None, top: bool = False) -> int:
        nonlocal pid
        pid += 1
        chat = 10_000_000 + pid if pid % 2 == 0 else None
        people.append((name, title, json.dumps(roles), "[]", f"p{pid}@example.gov.cn", top,
                       json.dumps([f"mailto://p{pid}@example.gov.cn"]), pid, unit_id, chat, None,
                       None, True))
        return pid

    heads: dict[int, list[int]] = {}
    for u in units:
        uid = u[4]
        heads[uid] = [add(person_name(rng, used), "主任", ["unit_head"], uid),
                      add(person_name(rng, used), "科员", ["unit_contact"], uid)]
    titles = ["书记", "市长", "副书记", "常务副市长", "人大常委会主任"]
    leaders = [add(person_name(rng, used), titles[i] if i < 5 else rng.choice(["副市长", "秘书长", "副秘书长"]),
                   ["leader"], 1, top=i < 5) for i in range(200)]
    office = [add(person_name(rng, used), "督查室主任" if i == 0 else "督查专员", ["office"], 1)
              for i in range(5)]
    add("管理员", "", ["admin", "office"], 1)
    w.insert("person", ("name", "title", "roles", "aliases", "email", "top_leader", "channels", "id",
                        "unit_id", "telegram_chat_id", "unreachable_at", "unreachable_reason",
                        "active"), people)
    scoped = leaders[5:]
    scope_rows = [(scoped[(uid - 1) % len(scoped)], uid) for uid in range(2, 1001)]
    w.insert("leader_scope", ("person_id", "unit_id"), scope_rows)
    leader_of_unit = {uid: p for p, uid in scope_rows}
    return {"units": [u[4] for u in units], "heads": heads, "leaders": leaders,
            "leader_of_unit": leader_of_unit, "office": office}


def directives(w: Writer, rng: random.Random, n: int, leaders: list[int]) -> list[tuple[datetime, int]]:
    """Directives issued between 2024-06-01 and NOW; a sixth are 跟批 on an earlier one."""
    start = datetime(2024, 6, 1, 1, 0, tzinfo=UTC)
    span = (NOW - start).total_seconds() - 86400
    moments = sorted(start + timedelta(seconds=rng.random() * span) for _ in range(n))
    kinds = ["instruction"] * 4 + ["meeting"] * 2 + ["inspection", "hotline", "document", "plan"]
    rows, index = [], []
    for i, at in enumerate(moments, start=1):
        follow = i > 10 and rng.random() < 0.17
        kind = "followup" if follow else rng.choice(kinds)
        parent = max(1, i - rng.randint(1, 40)) if follow else None
        topic = rng.choice(TOPICS)
        rows.append((kind, f"关于{topic}的{'跟批' if follow else '批示'}", f"请抓紧推进{topic}工作，按期办结并报告。",
                     f"督办〔{at.year}〕{i}号", kind == "instruction" and rng.random() < 0.03, i,
                     rng.choice(leaders), w.dt(at), parent, w.dt(at)))
        index.append((at, i))
    for start_i in range(0, len(rows), CHUNK):
        w.insert("directive", ("kind", "title", "text", "doc_number", "read_only", "id",
                               "issued_by_id", "issued_at", "parent_id", "created_at"),
                 rows[start_i:start_i + CHUNK])
    return index


# --------------------------------------------------------------------------------------------
# Tasks


_DAY_CACHE: dict[date, datetime] = {}


def end_of_day(day: date) -> datetime:
    v = _DAY_CACHE.get(day)
    if v is None:
        v = _DAY_CACHE[day] = datetime.combine(day, dtime(23, 59, 59), tzinfo=TZ).astimezone(UTC)
    return v


TODAY = NOW.astimezone(TZ).date()


class TaskGen:
    def __init__(self, w: Writer, rng: random.Random, o: dict[str, Any],
                 dirs: list[tuple[datetime, int]], due_fraction: float) -> None:
        self.w, self.rng, self.o = w, rng, o
        self.dir_at = [d[0] for d in dirs]
        self.ladders = Ladders()
        self.cadence_default = timedelta(days=self.ladders.policy.progress_cadence_days)
        self.p_due = min(1.0, due_fraction / (sum(STATUS_WEIGHTS[s] for s in LADDER) / 100))
        self.statuses = list(STATUS_WEIGHTS)
        self.status_w = list(itertools.accumulate(STATUS_WEIGHTS.values()))
        self.units = o["units"][1:]
        # A few units carry much more work than others (a long tail, as in real offices).
        self.unit_w = list(itertools.accumulate(1.0 / (1 + (i % 97)) ** 0.6
                                                for i in range(len(self.units))))
        self.codes: dict[int, int] = {}
        self.ids = {"task_unit": 0, "progress_report": 0, "milestone": 0, "audit_event": 0,
                    "outbox": 0, "extension_request": 0, "recheck": 0}
        self.prev_hash = "0" * 64
        self.key = audit_key()
        self.last_event_at = NOW
        self.counts: dict[str, int] = {}
        self.due_count = 0

    def bump(self, key: str) -> int:
        self.ids[key] += 1
        return self.ids[key]

    def due_day(self, status: str) -> date:
        r, rng = self.rng.random(), self.rng
        if status in ("closed", "cancelled"):
            return TODAY - timedelta(days=rng.randint(1, 300))
        if status == "draft":
            return TODAY + timedelta(days=rng.randint(10, 200))
        if r < 0.20:
            return TODAY - timedelta(days=rng.randint(1, 120))
        if r < 0.35:
            return TODAY + timedelta(days=rng.randint(0, 7))
        return TODAY + timedelta(days=rng.randint(8, 300))

    def designated_due(self, priority: str) -> tuple[datetime, Any]:
        """A deadline with a ladder step in the last day (missed by the previous pass)."""
        rng = self.rng
        if priority == "urgent":
            due = NOW - timedelta(minutes=rng.randint(2, 50))
        else:
            offset = rng.choice((-7, -3, -2, -1, 0, 1, 3, 5))
            due = end_of_day(TODAY + timedelta(days=offset))
        steps = self.ladders.steps(due, priority)
        fallen = [s for s in steps if s.at <= NOW and s.at > NOW - timedelta(days=1)]
        return due, (fallen[-1] if fallen else None)

    def rows(self, start_id: int, count: int) -> Iterator[dict[str, list[tuple[Any, ...]]]]:
        out: dict[str, list[tuple[Any, ...]]] = {k: [] for k in
                                                 ("task", "task_unit", "progress_report", "milestone",
                                                  "audit_event", "outbox", "extension_request",
                                                  "recheck")}
        for tid in range(start_id, start_id + count):
            self.one(tid, out)
            if len(out["task"]) >= CHUNK:
                yield out
                out = {k: [] for k in out}
        yield out

    def one(self, tid: int, out: dict[str, list[tuple[Any, ...]]]) -> None:
        rng, dt, ladders = self.rng, self.w.dt, self.ladders
        status = rng.choices(self.statuses, cum_weights=self.status_w)[0]
        self.counts[status] = self.counts.get(status, 0) + 1
        r = rng.random()
        priority = "urgent" if r < 0.02 else ("high" if r < 0.2 else "normal")
        designated = status in LADDER and rng.random() < self.p_due
        step = None
        if designated and rng.random() < 0.5:
            due_at, step = self.designated_due(priority)
        elif priority == "urgent":
            day = self.due_day(status)
            due_at = datetime.combine(day, dtime(rng.randint(8, 20), rng.choice((0, 30))),
                                      tzinfo=TZ).astimezone(UTC)
        else:
            due_at = end_of_day(self.due_day(status))
        extended = status != "draft" and rng.random() < 0.08
        original_due = due_at - timedelta(days=rng.randint(7, 30)) if extended else due_at
        created = original_due - timedelta(days=rng.randint(10, 90), seconds=rng.randint(0, 86399))
        if created > NOW - timedelta(hours=2):
            created = NOW - timedelta(hours=rng.randint(2, 240))
        created = max(created, self.dir_at[0] + timedelta(hours=1))
        hi = bisect.bisect_right(self.dir_at, created)
        directive_id = max(1, hi - int(rng.expovariate(1 / 30)))
        lead = rng.choices(self.units, cum_weights=self.unit_w)[0]
        co = [u for u in rng.sample(self.units, rng.choice((0, 0, 1, 1, 2, 3))) if u != lead]
        leader = self.o["leader_of_unit"].get(lead)
        assigned = None if status == "draft" else created + timedelta(hours=rng.randint(1, 48))
        if assigned is not None and assigned > NOW:
            assigned = NOW - timedelta(minutes=30)
        last_progress = None
        if status in ("in_progress", "pending_review", "closed") and assigned is not None:
            last_progress = NOW - timedelta(days=rng.random() * 20)
            last_progress = max(last_progress, assigned + timedelta(hours=1))
            last_progress = min(last_progress, NOW - timedelta(minutes=5))
        closed = None
        if status == "closed":
            closed = min(NOW - timedelta(hours=1), due_at - timedelta(days=rng.randint(-5, 20)))
            closed = max(closed, (assigned or created) + timedelta(hours=2))
            last_progress = min(last_progress or closed, closed)
        cadence = rng.choice((None,) * 8 + (3, 14))
        steps = ladders.steps(due_at, priority)
        level, escalated = 0, None
        if status in ACTIVE:
            level, escalated = Ladders.level_at(steps, NOW if step is None else step.at - timedelta(seconds=1))
        elif status in ("closed", "cancelled"):
            level, escalated = Ladders.level_at(steps, closed or NOW)
        next_check, updated = None, closed or last_progress or assigned or created
        recurring = rng.random() < 0.005
        milestones = []
        if status != "draft" and rng.random() < 0.03:
            for seq in (1, 2):
                m_due = end_of_day((created + (due_at - created) * seq / 3).astimezone(TZ).date())
                milestones.append((seq, m_due, m_due if m_due < NOW and rng.random() < 0.7 else None))
        if status in LADDER:
            if designated and step is not None:
                next_check = step.at
                self.due_count += 1
            elif designated:
                next_check = updated = NOW - timedelta(minutes=rng.randint(1, 360))
                updated = max(updated, assigned or created)
                self.due_count += 1
            else:
                next_check = self.next_moment(steps, last_progress or assigned, cadence, milestones)
        year = created.astimezone(TZ).year
        seq = self.codes[year] = self.codes.get(year, 0) + 1
        topic = rng.choice(TOPICS)
        measure = "个" if rng.random() < 0.2 else None
        target = float(rng.randint(10, 500)) if measure else None
        achieved = round(target * rng.random(), 1) if target and status != "draft" else None
        due_text = rng.choice(DUE_TEXTS).format(m=original_due.astimezone(TZ).month,
                                                d=original_due.astimezone(TZ).day)
        out["task"].append((
            f"{topic}（{tid}）", f"按照要求完成{topic}，按期反馈。", priority, due_text, target, measure,
            cadence, "每月5日前报送" if recurring else None, tid, f"DB-{year}-{seq:06d}", directive_id,
            tid - rng.randint(1, 50) if tid > 60 and rng.random() < 0.05 else None,
            tid if recurring else None, 1, lead, self.o["heads"][lead][0], leader, status,
            dt(due_at), dt(original_due), due_text, 2 if extended else 1, 1 if extended else 0,
            achieved, level, dt(escalated), dt(last_progress), dt(assigned), dt(closed),
            ("优秀" if rng.random() < 0.5 else "良好") if closed else None, dt(created), dt(updated),
            dt(next_check), recurring and due_at <= NOW))
        self.links(tid, lead, co, status, assigned, last_progress, out)
        self.reports(tid, lead, status, assigned, last_progress, out)
        for seq_m, m_due, done in milestones:
            out["milestone"].append((self.bump("milestone"), tid, seq_m, f"第{seq_m}阶段节点", "",
                                     dt(m_due), dt(done)))
        if level:
            self.escalations(tid, steps, level, out)
        if extended:
            out["extension_request"].append((
                self.bump("extension_request"), tid, self.o["heads"][lead][0], due_text, dt(due_at),
                dt(original_due), "施工条件受限，申请延期", "approved", self.o["office"][0],
                dt(min(original_due, NOW)), "同意", dt(min(original_due, NOW) - timedelta(days=1))))
        elif status in LADDER and rng.random() < 0.01:
            out["extension_request"].append((
                self.bump("extension_request"), tid, self.o["heads"][lead][0], "下月底前",
                dt(due_at + timedelta(days=30)), dt(due_at), "工作量大，申请延期", "pending", None, None,
                None, dt(NOW - timedelta(hours=rng.randint(1, 48)))))
        if status == "closed" and rng.random() < 0.1 and closed is not None:
            r_due = closed + timedelta(days=30)
            out["recheck"].append((self.bump("recheck"), tid, dt(r_due),
                                   dt(r_due) if r_due <= NOW else None, "passed" if r_due <= NOW else None,
                                   None, None, dt(closed), dt(r_due) if r_due <= NOW else None))
        if tid % 10 == 0 and status != "draft":
            oid = self.bump("outbox")
            at = assigned or created
            out["outbox"].append((oid, f"assigned:{tid}:p{self.o['heads'][lead][1]}", "assigned", tid, 0,
                                  self.o["heads"][lead][1], f"新交办：{topic}", "【新交办】……", None, None,
                                  "sent", 1, dt(at), dt(at), dt(at), None, dt(at), "memory", None))

    def next_moment(self, steps: list[Any], base: datetime | None, cadence: int | None,
                    milestones: list[tuple[int, datetime, datetime | None]]) -> datetime | None:
        """The engine's own ``next_check_at`` after a pass at NOW."""
        later = [s.at for s in steps if s.at > NOW]
        if base is not None:
            c = timedelta(days=cadence) if cadence else self.cadence_default
            later.append(base + c * (int((NOW - base) / c) + 1))
        for _seq, m_due, done in milestones:
            if done is None:
                morning = datetime.combine(m_due.astimezone(TZ).date(), dtime(9, 0), tzinfo=TZ)
                later += [m for m in (min(morning, m_due), m_due + timedelta(seconds=1)) if m > NOW]
        return min(later) if later else None

    def links(self, tid: int, lead: int, co: list[int], status: str, assigned: datetime | None,
              last_progress: datetime | None, out: dict[str, list[tuple[Any, ...]]]) -> None:
        dt = self.w.dt
        acked = status not in ("draft", "assigned") and assigned is not None
        for role, uid in [("lead", lead)] + [("co", u) for u in co]:
            ack = assigned + timedelta(hours=3) if acked and assigned else None
            ack = min(ack, NOW) if ack else None
            fb = last_progress if role == "lead" else None
            out["task_unit"].append((self.bump("task_unit"), tid, uid, role, dt(ack),
                                     self.o["heads"][uid][1] if ack else None, dt(fb),
                                     self.rng.choice(FEEDBACK).format(p=60) if fb else None))

    def reports(self, tid: int, lead: int, status: str, assigned: datetime | None,
                last_progress: datetime | None, out: dict[str, list[tuple[Any, ...]]]) -> None:
        if last_progress is None or assigned is None:
            return
        n = self.rng.randint(1, 3)
        for k in range(n):
            at = last_progress - (last_progress - assigned) * (k / n)
            kind = "completion" if k == 0 and status in ("pending_review", "closed") else "progress"
            out["progress_report"].append((
                self.bump("progress_report"), tid, lead, self.o["heads"][lead][1], kind,
                self.rng.choice(FEEDBACK).format(p=self.rng.randint(10, 90)), None, None,
                self.w.dt(at)))

    def escalations(self, tid: int, steps: list[Any], level: int,
                    out: dict[str, list[tuple[Any, ...]]]) -> None:
        prev_level = 0
        for s in steps:
            if s.kind != "escalation" or s.level > level:
                continue
            at = s.at.astimezone(UTC)
            before, after = {"status": "in_progress"}, {"status": "in_progress", "level": s.level,
                                                        "from_level": prev_level}
            event = {"id": self.bump("audit_event"), "at": at, "recorded_at": WRITTEN_AT,
                     "actor": "系统", "actor_id": None, "channel": "scheduler", "client": None,
                     "on_behalf_unit_id": None, "entity": "task", "entity_id": tid,
                     "action": "escalate", "before": before, "after": after,
                     "prev_hash": self.prev_hash}
            signed = digest(event, self.key)  # the engine's own keyed hash: a valid chain
            out["audit_event"].append((event["id"], self.w.dt(at), self.w.dt(WRITTEN_AT), "系统",
                                       None, "scheduler", "task", tid, "escalate",
                                       json.dumps(before), json.dumps(after), self.prev_hash,
                                       signed))
            self.prev_hash = signed
            self.last_event_at = at
            prev_level = s.level


ACTIVE = ("assigned", "acknowledged", "in_progress", "pending_review")

COLUMNS = {
    "task": ("title", "requirement", "priority", "due_text", "target", "measure", "cadence_days",
             "recurrence_text", "id", "code", "directive_id", "parent_id", "series_id", "occurrence",
             "lead_unit_id", "owner_id", "leader_id", "status", "due_at", "original_due_at",
             "original_due_text", "deadline_version", "extension_count", "achieved",
             "escalation_level", "escalated_at", "last_progress_at", "assigned_at", "closed_at",
             "rating", "created_at", "updated_at", "next_check_at", "successor_created"),
    "task_unit": ("id", "task_id", "unit_id", "role", "acknowledged_at", "acknowledged_by_id",
                  "last_feedback_at", "last_feedback_text"),
    "progress_report": ("id", "task_id", "unit_id", "person_id", "kind", "text", "achieved",
                        "milestone_id", "at"),
    "milestone": ("id", "task_id", "seq", "title", "due_text", "due_at", "done_at"),
    "audit_event": ("id", "at", "recorded_at", "actor", "actor_id", "channel", "entity",
                    "entity_id", "action", "before", "after", "prev_hash", "hash"),
    "outbox": ("id", "dedupe_key", "kind", "task_id", "level", "recipient_id", "subject", "body",
               "body_html", "actions", "status", "attempts", "next_attempt_at", "created_at",
               "claimed_at", "claimed_by", "sent_at", "channel", "last_error"),
    "extension_request": ("id", "task_id", "requested_by_id", "requested_due_text",
                          "requested_due_at", "previous_due_at", "reason", "status",
                          "decided_by_id", "decided_at", "decision_note", "created_at"),
    "recheck": ("id", "task_id", "due_at", "done_at", "result", "note", "by_id", "created_at",
                "notified_at"),
}


def prepare_schema(url: str) -> None:
    from engine.store.db import make_engine
    from engine.store.schema import upgrade
    from engine.tasks.audit_key import ensure_key_file

    ensure_key_file()  # the generated chain is signed with this machine's key, as `init` makes it

    if kind_of(url) == "sqlite":
        path = Path(sqlite_file(url))
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    else:
        ensure_pg_database(url, recreate=True)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()


def _install_tallies(url: str) -> None:
    from engine.store.db import make_engine
    from engine.store.tally import install, offset_for_stored_policy

    engine = make_engine(url)
    with engine.begin() as conn:
        install(conn, offset_minutes=offset_for_stored_policy(conn))
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()


def generate(url: str, n: int, seed: int, due_fraction: float, log: Callable[[str], None]) -> dict[str, Any]:
    t0 = time.perf_counter()
    prepare_schema(url)
    rng = random.Random(seed)
    w = Writer(url)
    w.drop_indexes()
    o = org(w, rng)
    dirs = directives(w, rng, max(100, n // 8), o["leaders"])
    gen = TaskGen(w, rng, o, dirs, due_fraction)
    written = 0
    for chunk in gen.rows(1, n):
        for table, rows in chunk.items():
            w.insert(table, COLUMNS[table], rows)
        written += len(chunk["task"])
        if written % 100_000 < CHUNK:
            log(f"  {written:,} tasks ({time.perf_counter() - t0:.0f} s)")
    dt = w.dt
    w.insert("counter", ("name", "value"), [(f"task:{y}", v) for y, v in gen.codes.items()])
    # A simulation database: the benchmarks run the engine at bench.common.NOW.
    w.insert("setting", ("key", "value", "updated_at"),
             [("audit_head", json.dumps({"seq": gen.ids["audit_event"], "hash": gen.prev_hash,
                                         "key_id": key_id(gen.key)}), dt(gen.last_event_at)),
              ("simulation", json.dumps({"simulation": True, "since": WRITTEN_AT.isoformat()}),
               dt(WRITTEN_AT))])
    w.insert("summary_run", ("id", "local_date", "built_at", "path"),
             [(1, (TODAY - timedelta(days=1)).isoformat(), dt(NOW - timedelta(days=1)), None)])
    t_rows = time.perf_counter() - t0
    log(f"  rows written in {t_rows:.0f} s; building indexes …")
    w.finish()
    log("  counting the task tallies …")
    _install_tallies(url)
    return {"tasks": n, "seconds": round(time.perf_counter() - t0, 1), "due": gen.due_count,
            "statuses": gen.counts, "rows": dict(gen.ids), "directives": len(dirs)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="sqlite:///path or postgresql://host/db")
    parser.add_argument("--tasks", type=int, required=True)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--due-fraction", type=float, default=0.01)
    args = parser.parse_args(argv)
    stats = generate(args.db, args.tasks, args.seed, args.due_fraction,
                     lambda m: print(m, file=sys.stderr, flush=True))
    print(json.dumps(stats, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
