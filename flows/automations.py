"""Install the notification block and the automations of deploy/automations.yaml on a Prefect server.

    PREFECT_API_URL=http://SERVER:4200/api GOVERNANCE_NOTIFY_SLACK_URL=https://hooks.slack.com/... \\
        python -m flows.automations [--file deploy/automations.yaml]

The block is made from the first of these settings in the environment (a secret: the environment of the
operator who installs, never a file in the repository or a run's parameters; the server keeps it in the
block document):
- `GOVERNANCE_NOTIFY_SLACK_URL`: a Slack incoming webhook (Prefect's `SlackWebhook`, through Apprise);
- `GOVERNANCE_NOTIFY_TEAMS_URL`: a Microsoft Teams incoming webhook (`MicrosoftTeamsWebhook`, Apprise);
- `GOVERNANCE_NOTIFY_WEBHOOK_URL`: any HTTP endpoint (`CustomWebhookNotificationBlock`), sent a JSON body
  `{"subject": ..., "body": ...}`; the URL is kept in the block's secrets.
The blocks' `allow_private_urls` is set off (Prefect 3.8.8's default is on), so Prefect refuses to send to a
private or loopback address unless `GOVERNANCE_NOTIFY_ALLOW_PRIVATE_URLS=true`.

Each automation of the file is created anew (one of the same name is deleted first), so running this again
after editing the file updates them. A `send-notification` action's `block_document_id` names the block
(`governance-notifications`); it is replaced by the saved block's id.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from prefect.blocks.abstract import NotificationBlock

__all__ = ["AUTOMATIONS_FILE", "BLOCK_NAME", "install_automations", "notification_block"]

BLOCK_NAME = "governance-notifications"
AUTOMATIONS_FILE = Path(__file__).resolve().parents[1] / "deploy" / "automations.yaml"
SETTINGS = ("GOVERNANCE_NOTIFY_SLACK_URL", "GOVERNANCE_NOTIFY_TEAMS_URL", "GOVERNANCE_NOTIFY_WEBHOOK_URL")


class SetupError(Exception):
    """What is missing to install the notifications, in one line."""


def notification_block(env: Mapping[str, str]) -> NotificationBlock:
    """The notification block the environment names (see the module's docstring)."""
    from prefect.blocks.notifications import CustomWebhookNotificationBlock, MicrosoftTeamsWebhook, SlackWebhook

    private = env.get("GOVERNANCE_NOTIFY_ALLOW_PRIVATE_URLS", "").strip().lower() in {"1", "true", "yes"}
    if url := env.get("GOVERNANCE_NOTIFY_SLACK_URL", "").strip():
        return SlackWebhook(url=url, allow_private_urls=private)
    if url := env.get("GOVERNANCE_NOTIFY_TEAMS_URL", "").strip():
        return MicrosoftTeamsWebhook(url=url, allow_private_urls=private)
    if url := env.get("GOVERNANCE_NOTIFY_WEBHOOK_URL", "").strip():
        return CustomWebhookNotificationBlock(
            name=BLOCK_NAME,
            url="{{webhook_url}}",
            json_data={"subject": "{{subject}}", "body": "{{body}}"},
            secrets={"webhook_url": url},
            allow_private_urls=private,
        )
    raise SetupError(f"no notification channel: set one of {', '.join(SETTINGS)} (deploy/README.md, step 9)")


def _automations(path: Path, block_id: str) -> list[dict[str, Any]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    automations: list[dict[str, Any]] = data["automations"]
    for automation in automations:
        for action in automation.get("actions", []):
            if action.get("type") == "send-notification" and action.get("block_document_id") == BLOCK_NAME:
                action["block_document_id"] = block_id
    return automations


def install_automations(env: Mapping[str, str], path: Path = AUTOMATIONS_FILE) -> list[tuple[str, str]]:
    """Save the block, then (re)create every automation of `path` on the server PREFECT_API_URL names.

    Returns each automation's (name, id).
    """
    if not env.get("PREFECT_API_URL"):
        raise SetupError("PREFECT_API_URL is not set: the automations go to a running Prefect server")
    from prefect.client.orchestration import get_client
    from prefect.events.schemas.automations import AutomationCore

    block = notification_block(env)
    block_id = block.save(BLOCK_NAME, overwrite=True)
    created: list[tuple[str, str]] = []
    with get_client(sync_client=True) as client:
        for data in _automations(path, str(block_id)):
            automation = AutomationCore.model_validate(data)
            for old in client.read_automations_by_name(automation.name):
                client.delete_automation(old.id)
            created.append((automation.name, str(client.create_automation(automation))))
    return created


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flows.automations", description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", type=Path, default=AUTOMATIONS_FILE, help="the automations (deploy/automations.yaml)")
    args = parser.parse_args(argv)
    try:
        created = install_automations(os.environ, args.file)
    except SetupError as error:
        sys.stderr.write(f"error: {error}\n")
        return 1
    for name, automation_id in created:
        sys.stdout.write(f"automation {name}: {automation_id}\n")
    sys.stdout.write(f"{len(created)} automations send through the block {BLOCK_NAME}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
