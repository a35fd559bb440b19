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

roster_spells_changed = Hook("members.roster_spells_changed", arguments=("member_ids",), doc="""
The roster spells (``RosterSpell``) of some members were written or rewritten: a flow event or its
correction, new members, the rebuild's repairs.

Sent by ``members.projection`` after the spells are written, inside the writer's transaction.
``member_ids`` are the members whose spells may have changed (never empty). Listeners keep their own
projections of the roster current (activities: the stored monthly tallies); an exception undoes the write.
""")

projection_rebuild = Hook("members.projection_rebuild", arguments=("committee_id",), doc="""
Recompute a projection of the roster kept by a later app, for one committee, from scratch (activities: the
stored monthly tallies of complete past months).

Collected by ``manage.py rebuild_projections`` after the roster spells are rebuilt, once per committee. A
listener runs its own transaction and returns how many months it projected.
""")
