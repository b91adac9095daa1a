"""`counterfactual_20k`: `governance replay --policy DRAFT` over a ledger of 20,000 proposals.

Data: 20,000 generated proposals (bench/data.py, about one in ten screened out) filed through intake
in batches of 500, the screened ones scored at stage-gate gate 1 from one assessments file (two
assessors, ratings 0-10 drawn from the seed) with `record_scores` in chunks of 200, and each one's
gate recommendation recorded with `record_recommendation`: the ledger the engine itself writes
(about 56,000 records). Built once per run, or once in `$BENCH_CACHE` when set and reused by later
runs; `build_s` (of the build) is reported for information.

Figure: `counterfactual_replay(store, draft)` under a draft that raises gate 1's go threshold by 5
and its conditional-go threshold by 5 (so a share of the recommendations cross), with the default
kinds: screening, score cards and recommendations re-derived from their snapshots, each difference
explained. Floor: the same governance functions called directly over the same snapshots in a loop
(the records read in the same batches, `screen` on each filed content, `rescore` on each score card's
inputs, `recommend` on each recommendation's conditions and day with the draft's card), no comparison, no
wording, no totals. Median of `repeats` rounds, figure and floor interleaved.
Targets: under 30 s and at most 1.3x the floor.
"""

from __future__ import annotations

import csv
import json
import os
import random
import shutil
from pathlib import Path
from typing import Any

from bench.common import fresh_database, log, median, timed
from bench.data import write_csv_batch
from governance import gates, intake
from governance.assessments import read_assessments
from governance.clock import FixedClock, SeededIds
from governance.counterfactual import counterfactual_replay, record_batches
from governance.gates import recommend
from governance.intake import screen
from governance.ledger import Ledger
from governance.policy import LoadedPolicy, load_policy
from governance.replay import ReplayContext, card_payload, recommendation_context, rescore
from governance.store import Store
from models.proposal import Proposal
from models.records import RecommendedPayload, ScoredPayload

__all__ = ["counterfactual_figure"]

TARGET_S = 30.0
TARGET_RATIO = 1.3
CHUNK = 200


def _build(folder: Path, count: int, seed: int) -> tuple[Store, int]:
    import datetime as dt

    folder.mkdir(parents=True, exist_ok=True)
    paths = write_csv_batch(folder / "proposals", count, max(1, count // 1000), seed)
    store = Store(fresh_database(folder / "ledger.db"))
    ledger = Ledger(FixedClock(dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC), dt.timedelta(milliseconds=1)),
                    SeededIds(f"bench-counterfactual-{seed}"))  # fmt: skip
    policy = load_policy("stage-gate").policy
    candidates = intake.validate_submission([str(p) for p in paths], policy, {})
    for start in range(0, len(candidates), 500):
        intake.file_proposals(store, ledger, candidates[start : start + 500], "bench")
    with store.read() as conn:
        screened = sorted(
            (str(r), str(i))
            for r, i in conn.exec_driver_sql("SELECT reference, id FROM proposals WHERE state = 'screened'")
        )
    rng = random.Random(seed)
    assessments = folder / "assessments.csv"
    with assessments.open("w", encoding="utf-8", newline="") as sink:
        writer = csv.writer(sink)
        writer.writerow(["proposal", "gate", "assessor", "strategic-fit", "market-attractiveness", "legal-compliance"])
        for ref, _ in screened:
            for assessor in ("raj", "lee"):
                writer.writerow([ref, 1, assessor, rng.randint(0, 10), rng.randint(0, 10), "yes"])
    items = read_assessments([str(assessments)])
    for start in range(0, len(items), 2 * CHUNK):
        gates.record_scores(store, ledger, items[start : start + 2 * CHUNK], "bench")
    ids = [pid for _, pid in screened]
    for start in range(0, len(ids), 500):
        _recommend(store, ledger, ids[start : start + 500])
    return store, len(screened)


def _recommend(store: Store, ledger: Ledger, ids: list[str]) -> None:
    """`gates.record_recommendation` for many proposals in one transaction: its steps (the latest card, the
    open conditions, `recommend`, the payload, `append_for_proposal`), without its transaction per proposal
    (one each made the 20,000-proposal build take 45 minutes here, the machine shared)."""
    from governance.adoption import current_policy
    from governance.calendar import today_in
    from governance.gates import gate_of, open_conditions
    from governance.ledger import NewRecord, latest_record

    with store.write() as conn:
        loaded = current_policy(conn)
        today = today_in(loaded.policy, ledger.clock.now())
        gate = gate_of(loaded.policy, 1)
        for pid in ids:
            scored = latest_record(conn, pid, "scored")
            if scored is None or latest_record(conn, pid, "recommended") is not None:
                continue  # recommended by an earlier, cut-short build
            card = scored.body_as(ScoredPayload)
            conditions = open_conditions(conn, pid)
            rec = recommend(loaded.policy, card, conditions, today)
            payload = RecommendedPayload(
                gate=1, gate_name=gate.name, enters=gate.enters, deliverables=gate.deliverables,
                recommendation=rec.payload(), score=card.total, ecv=card.financials.ecv, scored_seq=scored.seq,
                open_conditions=conditions,
            )  # fmt: skip
            inputs = {"score_card": card, "open_conditions": conditions, "today": today.isoformat()}
            record = NewRecord(kind="recommended", subject=pid, outcome=rec.outcome, policy_version=loaded.version,
                               payload=payload, inputs=inputs)  # fmt: skip
            ledger.append_for_proposal(conn, record, "bench", state="awaiting-decision")


def _draft(folder: Path) -> LoadedPolicy:
    data = json.loads(load_policy("stage-gate").text)
    thresholds = data["gates"][0]["thresholds"]
    thresholds["go"] = str(int(thresholds["go"]) + 5)
    thresholds["conditional_go"] = str(int(thresholds["conditional_go"]) + 5)
    path = folder / "draft.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return load_policy(str(path))


def _floor(store: Store, draft: LoadedPolicy) -> int:
    """The same functions over the same snapshots: screen, rescore, recommend; nothing compared or worded."""
    policy = draft.policy
    done = 0
    with store.read() as conn:
        ctx = ReplayContext(conn)
        cards: dict[int, ScoredPayload] = {}
        for chunk in record_batches(conn):
            ctx.prefetch(r.inputs for r in chunk if r.inputs is not None and r.kind in _KINDS)
            for record in chunk:
                if record.kind in ("screened", "screened-out"):
                    content = ctx.inputs(record)
                    screen(Proposal.model_validate(content), policy, content)
                elif record.kind == "scored":
                    card, _ = rescore(ctx, record, policy)
                    cards[record.seq] = card_payload(card)
                elif record.kind == "recommended":
                    conditions, today = recommendation_context(ctx, record)
                    recommend(policy, cards[record.body_as(RecommendedPayload).scored_seq], conditions, today)
                else:
                    continue
                done += 1
            ctx.forget()
    return done


_KINDS = ("screened", "screened-out", "scored", "recommended")


def _cached(folder: Path, count: int, seed: int) -> tuple[Store, int, float | None]:
    """The ledger, built in `folder` or, with BENCH_CACHE set, once in that folder and reused by later runs
    (the build takes minutes; the ledger depends only on the count, the seed and the engine)."""
    cache = os.environ.get("BENCH_CACHE")
    place = Path(cache) / f"counterfactual-{count}-{seed}" if cache else folder
    note = place / "built.json"
    if note.exists():
        built = json.loads(note.read_text(encoding="utf-8"))
        log(f"counterfactual_20k: the ledger cached in {place}")
        return Store(f"sqlite:///{place / 'ledger.db'}"), built["scored"], built["build_s"]
    if place.exists():
        shutil.rmtree(place)  # a build cut short
    made = timed(lambda: _build(place, count, seed))
    store, scored = made.value
    note.write_text(json.dumps({"scored": scored, "build_s": made.seconds}), encoding="utf-8")
    return store, scored, made.seconds


def counterfactual_figure(folder: Path, count: int, seed: int, repeats: int = 3) -> dict[str, Any]:
    folder.mkdir(parents=True, exist_ok=True)
    store, scored, build_s = _cached(folder, count, seed)
    log(f"counterfactual_20k: {count} proposals ({scored} scored), built in {build_s} s")
    draft = _draft(folder)
    figure_s, floor_s = [], []
    result = None
    for _ in range(repeats):
        run = timed(lambda: counterfactual_replay(store, draft))
        figure_s.append(run.seconds)
        result = run.value
        floor = timed(lambda: _floor(store, draft))
        floor_s.append(floor.seconds)
    assert result is not None
    totals = result.totals()
    examined = sum(result.examined.values())
    checks_ok = (
        result.examined.get("recommendations") == scored == result.examined.get("scores")
        and floor.value == examined
        and totals["differences"] > 0
        and all(d.kind in ("recommendation",) for d in result.differences)
    )
    seconds, floor_seconds = median(figure_s), median(floor_s)
    ratio = seconds / floor_seconds if floor_seconds else float("inf")
    return {
        "proposals": count,
        "records_examined": examined,
        "differences": totals["differences"],
        "changes": totals["changes"],
        "budget_moved": totals["budget_moved"],
        "build_s": None if build_s is None else round(build_s, 1),  # None: a cached build not timed whole
        "replay_s": round(seconds, 3),
        "floor_s": round(floor_seconds, 3),
        "ratio": round(ratio, 3),
        "runs_s": [round(s, 3) for s in figure_s],
        "floor_runs_s": [round(s, 3) for s in floor_s],
        "checks_ok": checks_ok,
        "target_s": TARGET_S,
        "target_ratio": TARGET_RATIO,
        "meets_targets": checks_ok and seconds < TARGET_S and ratio <= TARGET_RATIO,
    }
