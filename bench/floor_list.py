"""The floor of ``duban task list --unit U --json`` as a whole process: import sqlmodel (what any
process built on the models pays), run the same query as bare SQL, print the rows as JSON.

    python bench/floor_list.py URL UNIT_CODE
"""

import json
import sys

import sqlmodel
from sqlalchemy import text

url, code = sys.argv[1], sys.argv[2]
if url.startswith("postgresql://"):
    url = "postgresql+psycopg://" + url.split("://", 1)[1]
engine = sqlmodel.create_engine(url)
with engine.connect() as conn:
    unit_id = conn.execute(text("SELECT id FROM unit WHERE code = :c"), {"c": code}).scalar()
    rows = [dict(r._mapping) for r in conn.execute(text(
        "SELECT task.* FROM task JOIN task_unit ON task_unit.task_id = task.id "
        "WHERE task_unit.unit_id = :u ORDER BY task.due_at, task.id"), {"u": unit_id})]
    ids = [r["id"] for r in rows]
    co: dict[int, list[int]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ", ".join(f":i{k}" for k in range(len(chunk)))
        for task_id, uid in conn.execute(text(
                f"SELECT task_id, unit_id FROM task_unit WHERE task_id IN ({marks}) AND role = 'co' "
                "ORDER BY id"), {f"i{k}": v for k, v in enumerate(chunk)}):
            co.setdefault(task_id, []).append(uid)
    units: dict[int, str] = {i: n for i, n in conn.execute(text("SELECT id, name FROM unit"))}
    people: dict[int, str] = {i: n for i, n in conn.execute(text("SELECT id, name FROM person"))}
for row in rows:
    row["lead_unit"] = units.get(row["lead_unit_id"], "")
    row["co_units"] = [units.get(u, "") for u in co.get(row["id"], [])]
    row["owner"] = people.get(row["owner_id"])
    row["leader"] = people.get(row["leader_id"])
sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2, default=str) + "\n")
