"""Server sync: import tasks that exist on the account but not in the local history."""

from __future__ import annotations

from dataclasses import dataclass

from deerdesk.api.client import DeerApiClient
from deerdesk.api.models import RemoteTask
from deerdesk.core.records import ResultAudio, TaskRecord
from deerdesk.core.states import LocalState
from deerdesk.core.store import NewTask, Store


@dataclass(frozen=True)
class SyncReport:
    seen: int
    imported: tuple[TaskRecord, ...]


def _duration_tenths(remote: RemoteTask) -> int:
    seconds = next((a.duration_wav for a in remote.audios if a.duration_wav), None) or next(
        (a.duration_mp3 for a in remote.audios if a.duration_mp3), None
    )
    if seconds is None:
        return 50
    return min(100, max(30, round(seconds * 10)))


async def sync_account(
    store: Store, client: DeerApiClient, *, page_size: int = 100, max_pages: int = 1000
) -> SyncReport:
    """Reads the account's task list page by page and adds the tasks the history lacks.

    The list does not carry prompts, so an imported task is named by its task id; its audio
    is fetched by the tracker (`Tracker.adopt`) before the service's 30-day expiry.
    """
    imported: list[TaskRecord] = []
    seen = 0
    for page in range(1, max_pages + 1):
        tasks = await client.list_tasks(page, page_size)
        seen += len(tasks)
        known = store.known_task_ids(t.task_id for t in tasks)
        for remote in tasks:
            if remote.task_id in known:
                continue
            external = remote.external_task_id or f"remote-{remote.task_id}"
            if store.external_id_exists(external):
                continue
            record = store.add_tasks(
                [
                    NewTask(
                        prompt=f"Imported from the account (task {remote.task_id})",
                        duration_tenths=_duration_tenths(remote),
                        external_task_id=external,
                        task_id=remote.task_id,
                        state=LocalState(remote.status.value),
                        origin="sync",
                        remote_created_at_ms=remote.created_at_ms,
                    )
                ]
            )[0]
            changes: dict[str, object] = {"status_msg": remote.status_msg}
            if remote.cost:
                changes["cost"] = remote.cost
            if remote.audios:
                changes["audios"] = tuple(
                    ResultAudio(i, a.id, a.url_wav, a.url_mp3, a.duration_wav, a.duration_mp3)
                    for i, a in enumerate(remote.audios)
                )
            imported.append(store.update(record.id, **changes))
        if len(tasks) < page_size:
            break
    return SyncReport(seen=seen, imported=tuple(imported))
