"""The counterfactual pack: what the automatic steps of the past would have said under a draft policy.

`governance pack counterfactual DRAFT.yaml`: a dashboard of the totals, the changes by kind, then every
difference with its reason. Attached: `counterfactual.json` (the replay's result, as `replay --policy --json`
prints it), `draft-policy.json` (the draft's canonical text) and `records.jsonl` (the ledger records the
differences are about, as stored). Every page's foot carries the ledger head the replay read.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from governance.counterfactual import Counterfactual
from governance.counterfactual.export import totals_rows
from governance.errors import NotFoundError
from governance.ledger import iter_records
from governance.money import money
from governance.packs.content import PackContent, common
from governance.packs.data import records_jsonl
from governance.packs.render import PackAttachment, PackJob
from governance.packs.templates import environment
from governance.policy import LoadedPolicy
from governance.store import Store

__all__ = ["counterfactual_content", "counterfactual_job"]


def counterfactual_content(store: Store, draft: LoadedPolicy, result: Counterfactual) -> PackContent:
    """The pack's content: the replay's totals and differences, stamped with the ledger head."""
    wanted = {d.seq for d in result.differences}
    with store.read() as conn:
        records = list(iter_records(conn))
    if not records:
        raise NotFoundError("the ledger is empty: nothing to replay")
    head = records[-1]
    about = [r for r in records if r.seq in wanted]
    currency = draft.policy.currency
    totals = result.totals()
    title = f"Counterfactual replay under {draft.policy.name} {draft.short_version}"
    context = common(title, head, True, draft.version, running="Counterfactual replay")
    context.update(
        draft={"name": draft.policy.name, "title": draft.policy.title, "version": draft.version},
        currency=currency,
        since=None if result.since is None else result.since.isoformat(),
        kinds=list(result.kinds),
        totals=totals,
        examined=sum(result.examined.values()),
        rows=[d.as_dict() for d in result.differences],
        summary=[
            (label, money(v) if isinstance(v, Decimal) else str(v)) for label, v in totals_rows(result, currency)[3:]
        ],
        budget_to_go=money(result.budget_to_go, currency),
        budget_from_go=money(result.budget_from_go, currency),
    )
    name = f"counterfactual-{draft.short_version}.pdf"
    return PackContent("counterfactual.html", context, about, head, True, draft.version, name)


def counterfactual_job(store: Store, draft: LoadedPolicy, result: Counterfactual, out_dir: Path) -> PackJob:
    """The pack to render (`render.write_pack` or `render_many`), with its three attachments."""
    content = counterfactual_content(store, draft, result)
    html = environment().get_template(content.template).render(**content.context)
    as_json = (json.dumps(result.as_dict(), ensure_ascii=False, indent=2) + "\n").encode()
    attachments = (
        PackAttachment("counterfactual.json", as_json, "the counterfactual replay: totals and every difference"),
        PackAttachment("draft-policy.json", draft.text.encode(), f"the draft policy, version {draft.version}"),
        PackAttachment("records.jsonl", records_jsonl(content.records),
                       f"{len(content.records)} ledger records the differences are about"),
    )  # fmt: skip
    return PackJob(html, Path(out_dir) / content.file_name, content.stamp.recorded_at, attachments)
