"""What later apps may add to the member ledger (``taizhang.core.hooks``). The ledger never imports
them: they connect in their ``AppConfig.ready()``."""

from taizhang.core.hooks import Hook

contact_source = Hook("members.contact_source", arguments=("member",), doc="""
Another kind of contact with a member (DOMAIN_RULES.md "Flow and contact"): attendance at organisational
life (activities), care visits (care). Returns the day of the member's latest contact of that kind, or
``None``.

Collected by ``members.contact.last_contact_day`` whenever the ledger recomputes a member's last-contact
date from scratch (a flow event corrected, say), inside the ledger service's transaction. ``member`` is
the Member.

A source only reads (one aggregate query); it writes nothing and does not filter by a user (the ledger
has already checked who may change the member).
""")

member_panel = Hook("members.member_panel", arguments=("member", "user"), options=("template",), doc="""
A panel on a member's page (activity profile, points, care): connected with the ``template`` that
renders it and a function returning the template's context, or ``None`` to hide the panel from this
viewer (e.g. the viewer may not see it).

Collected by ``members.panels.member_panels`` while the page is rendered (a read, no transaction).
``member`` is the Member (the page has already checked the viewer may open it), ``user`` the viewer.
Panels appear by ``order``.

A panel only reads, with a fixed number of queries whatever the member's history (the page's
query-count test holds for it too), and checks what the viewer may see itself.
""")

home_panel = Hook("members.home_panel", arguments=("user",), options=("template",), doc="""
A card on the home page (what is coming up, study, points, care, the superior's overview): connected with
the ``template`` that renders it and a function returning the template's context, or ``None`` to hide
the card from this user.

Collected by ``members.panels.home_panels`` while the home page is rendered (a read, no transaction).
``user`` is the user looking. Cards appear by ``order``.

A card only reads, with a fixed number of queries, and shows only what ``user`` may see.
""")

spells_changed = Hook("members.spells_changed", arguments=("member_ids",), doc="""
The roster projection rewrote the spells (``RosterSpell``) of some existing members: a flow event or a
correction was recorded, or ``rebuild_projections`` repaired them. Projections of other apps that depend on
the members' roster state (e.g. the study read tallies, counted by the branch of the open spell) bring
themselves up to date.

Sent by ``members.projection.replace_spells`` after the new spells are written, inside the writer's
transaction (the members' rows are locked). ``member_ids`` is the list of the members whose spells were
replaced (never empty); new members' first spells (``insert_spells`` alone) are not sent: they have no other
records yet. Listeners read the spells themselves, must be idempotent, and an exception undoes the write.
""")

spells_inserted = Hook("members.spells_inserted", arguments=("member_ids",), doc="""
New members' first spells were written (``members.projection.insert_spells``: a registration, an import, a
bulk load), possibly starting in the past. Projections of other apps that count the roster over past days
(activities: the stored monthly tallies, where a back-dated member is expected at past activities) bring
themselves up to date.

Sent by ``insert_spells`` after the spells are written, inside the writer's transaction; not sent for the
spells ``replace_spells`` writes (that sends ``spells_changed``). ``member_ids`` is the sorted list of the
members (never empty). Listeners must be idempotent; an exception undoes the write.
""")

projection_rebuild = Hook("members.projection_rebuild", arguments=("committee_id",), doc="""
``manage.py rebuild_projections`` ran (after it rebuilt the roster spells): each listener recomputes its own
projection that is derived from the roster (of ``committee_id``, or of every committee when None) and
repairs what differs. Returns a dict: "text", the sentence (translated) the command prints, and "counts",
what the JSON output shows under the listener's key. Each listener owns its transactions.
""")
