"""Importing the ledger from a spreadsheet (.xlsx or .csv): parse, plan (dry run), commit.

The columns are ``ledger_columns.COLUMNS`` (national names, the committee's own, and their aliases).
Reading files and typed values is ``taizhang.core.spreadsheets``; the member rules are
``services.validate_member_data`` — one set of rules for the form and the import.

Two phases
----------
* **Dry run** (``check``): every row is read and validated against the ledger as it is now and
  becomes *create*, *update* (with the changed fields, old → new), *unchanged* or *error* (each error
  names the row as Excel shows it, the column as headed in the file, the value and what is wrong).
  Nothing is written.
* **Commit** (``commit``): the file is planned again against the ledger as it is then (so nothing stale
  is written), then all valid rows are written in **one transaction**: any failure leaves the database
  exactly as before. Rows with errors are skipped and reported. One ``import.commit`` audit entry
  records file name, SHA-256, the actor and the counts, next to the usual per-member entries.

The file is read twice, streaming: a first pass collects the citizen ID numbers (duplicates inside the
file are errors on every row that carries them) and counts the rows for the progress bar; the second
pass plans the rows in chunks of ``CHUNK`` (a few queries per chunk, none per row).

Mapping decisions
-----------------
* A row matches an existing member by citizen ID number (the blind index ``crypto.blind_index``).
  A row matching two members, or an ID number that appears twice in the file, is an error — never a guess.
* Scope (``taizhang.core.permissions``): a new row's branch must be one the importer may EDIT
  (``can_in_branch``); a matched member must be in the importer's EDIT scope (``restrict``), and a
  branch change must go to a branch the importer may EDIT. Otherwise the row is an error. The
  ``import_members`` command without ``--as`` (dry run only) checks against the whole database.
* Empty cells never clear anything: on an existing member an empty cell keeps the current value, on a
  new row it means "not given" (是否流动党员 then defaults to 是, 民族 to 汉族). Columns the file does not
  have are left alone. To clear a value, edit the member in the ledger.
* New rows are registered (REGISTERED flow event, ``current_event`` pointer) on ``登记日期`` if given,
  else on the import date, as reported to the branch.
* ``是否失联党员=是`` on a new row registers and then records a lost_contact event on the import date
  (cause 7 其他, reason “导入时标记为失联”). On an existing member a change records lost_contact or
  contact_restored through ``services.flow_record_event`` (so the flow rules apply: e.g. a transferred
  member cannot be marked lost — that row is an error). 否 on a member who is not lost changes nothing.
* ``备注`` non-empty and different from the member's latest behaviour note adds a BehaviourNote dated
  on the import date.
* ``标签`` (separated by , ， 、 ;) creates missing tags (``services.tag_get_or_create``) and *sets* the
  member's tags to exactly those.
* ``所在党支部`` is matched by the branch's name, also without the 片区/党 parts (东部, 东部支部,
  东部片区支部, 东部片区党支部). If it is empty but ``所在区`` is given, the branch is suggested from
  the district (``organisation.selectors.suggest_branch``) — for new rows; on an existing member a
  changed district alone does not move the member. A changed branch on an existing member is
  recorded as a moved_branch flow event on the import date, not as a silent field change.
* ``所在区`` is matched with or without 区 (朝阳, 朝阳区).
* ``出生日期`` and ``性别`` are checked against the ID number (the form's messages); ``人员类别``
  正式党员 needs ``转正日期`` (from the row or, for an existing member, the ledger).
* ``登记日期`` is used for new rows only; on an existing member it is ignored (the flow history is
  changed through flow events, not by an import).
* Existing members are updated through the services (``member_update``, ``flow_record_event``,
  ``note_add``); new members are registered in bulk through ``services.member_register_many``, the very
  service behind the form's ``member_register``: the same validation, encryption, blind index, pinyin,
  REGISTERED event, ``current_event`` pointer, roster spells and audit entries (``member.create`` and
  ``flow.registered`` per member; later events such as lost_contact get their own entry).

Modules
-------
``columns`` (the header row and the keys), ``parsing`` (the file, a row's cells as typed values),
``context`` (the importer's scope, branch and district names), ``planning`` (the dry run), ``writing``
(the commit), ``runs`` (the ``ImportRun`` lifecycle and file retention), ``workbooks`` (the error file
and the template). The names below are the package's public face: views, tasks and commands import them
from ``taizhang.members.imports``.
"""

from taizhang.core.imports import MAX_UPLOAD_BYTES, Source
from taizhang.core.spreadsheets import SpreadsheetError
from taizhang.members import services
from taizhang.members.imports.columns import CREATE, ERROR, UNCHANGED, UPDATE, ImportFileError, normalise_id_text
from taizhang.members.imports.context import Context
from taizhang.members.imports.planning import Report, check
from taizhang.members.imports.runs import (
    DISCARDABLE,
    ImportInterrupted,
    import_file_delete,
    import_files_purge,
    import_run_commit,
    import_run_discard,
    import_run_retry,
    import_run_start,
    import_runs_recover,
    import_runs_supersede,
    run_check,
    run_commit,
    run_source,
)
from taizhang.members.imports.workbooks import write_error_file, write_template
from taizhang.members.imports.writing import ImportConflict, commit

__all__ = [
    "CREATE", "DISCARDABLE", "ERROR", "MAX_UPLOAD_BYTES", "UNCHANGED", "UPDATE", "Context", "ImportConflict",
    "ImportFileError", "ImportInterrupted", "Report", "Source", "SpreadsheetError", "check", "commit",
    "import_file_delete", "import_files_purge", "import_run_commit", "import_run_discard", "import_run_retry",
    "import_run_start", "import_runs_recover",
    "import_runs_supersede", "normalise_id_text", "run_check", "run_commit", "run_source", "services",
    "write_error_file", "write_template",
]
