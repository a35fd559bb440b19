"""What the ledger (members) lets accounts know about a login's person (``taizhang.core.hooks``).
Accounts sits below the domain apps and never imports them: members connects these in its
``AppConfig.ready()``. With no listener a login simply has no ledger record."""

from taizhang.core.hooks import Hook

personal_values = Hook("accounts.personal_values", arguments=("user",), doc="""
The personal numbers of the person behind a login (DOMAIN_RULES.md "Security": a password must not
contain them): a list of strings such as the phone, the ID number and the birth date written as
``YYYYMMDD`` and ``YYYY-MM-DD``; empty when the login has no ledger record.

Collected by ``accounts.validators.personal_values`` each time a password is checked (a read, in the
caller's transaction if any). ``user`` is a saved User. A listener only reads (one query).
""")

linked_record = Hook("accounts.linked_record", arguments=("user",), doc="""
The ledger record linked to a login (the role "party member"), or ``None``.

Collected by ``accounts.services.role_assign`` inside its transaction, to refuse an admin post to a login
with a ledger record and to know whether a record is still to be linked. A listener only reads.
""")

linkable_records = Hook("accounts.linkable_records", arguments=("committee",), options=("label",), doc="""
The ledger records of ``committee`` that may still get a login: a queryset ordered for a choice list,
fetching no more than its ``label`` needs; connected with the ``label`` function that names a record for
the security admin (the name and the branch).

Used by ``accounts.forms.RoleAssignForm`` when the form is built (a read): the first listener gives the
choice list; with none, the form has no record field.
""")

link_record = Hook("accounts.link_record", arguments=("actor", "user", "record", "committee"), doc="""
Link the login ``user`` to the ledger record ``record`` of ``committee`` (the role "party member").

Sent by ``accounts.services.role_assign`` inside its transaction, when the login has no record yet. The
listener locks the record, refuses one of another committee or one that already has a login with a
``ValidationError`` on the field ``member`` (which undoes the whole assignment), and writes the link with
its own audit entry.
""")
