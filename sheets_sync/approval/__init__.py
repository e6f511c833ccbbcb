"""Plan, approve, push: what push, export-import-file, undo and nightly share.

diff_tabs   the ticked rows as read, with the master beside them
decide      each tick against the plan's fingerprints: apply, or why not
apply       the writes, decided once; sent (push) or predicted (--dry-run)
writer      INNERGY writes in batches, journalled around each send
write_back  the workbook write: IDs, PPak rows, links, Results
settle      open writes of an interrupted run, settled by looking
report      Results, counts, the SYNC_LOG row
revert      undo's steps from the journal's before-images
"""

__all__: list[str] = []
