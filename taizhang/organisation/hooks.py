"""What other apps may add to the organisation's writes (``taizhang.core.hooks``)."""

from taizhang.core.hooks import Hook

committee_created = Hook("organisation.committee_created", arguments=("committee", "actor"), doc="""
A committee has just been created with its default branches and districts: the set-up steps of later
apps (activities seeds its standard activity types, points its default rules, finance the allowed
budget uses).

Sent by ``organisation.services.committee_create`` at its end, inside its transaction, after the
``committee.create`` audit entry. ``committee`` is the new Committee; ``actor`` the user creating it
(already checked: a system administrator), or ``None`` for the operator of a management command.

A listener writes its own rows (with their audit entries) for this committee only, does not check the
actor again, and raises to refuse: the exception reaches the caller and nothing of the committee is
kept. Listeners run in the order their apps are installed.
""")
