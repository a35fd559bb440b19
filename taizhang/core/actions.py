"""The audit log's action codes and how the audit log page names them.

Services write dotted codes (``member.update``, ``auth.login``; ``taizhang.core.audit.audit_log``); the
codes stay in the database, in the filter and in any export. The page shows the labels below instead
(gettext, so Chinese), with the code in small type for whoever filters by it. Add a label here with
every new action: ``core/tests/test_audit_labels.py`` fails for an action written anywhere in the code
without one. Object kinds are named by their model's ``verbose_name``; values by the model field's
name and choices (``audit_values``), masked as they were written.
"""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

ACTION_LABELS = {
    # logins and access
    "auth.login": _("Log in"),
    "auth.logout": _("Log out"),
    "auth.login_failed": _("Failed login"),
    "auth.login_locked": _("Login refused: account locked"),
    "auth.locked": _("Account locked after failed logins"),
    "auth.login_reset_pending": _("Login refused: password reset not yet confirmed"),
    "access.denied": _("Access denied"),
    # accounts, roles and the organisation
    "user.create": _("Create account"),
    "user.activate": _("Activate or deactivate account"),
    "user.unlock": _("Unlock account"),
    "user.password_change": _("Change own password"),
    "user.password_change_required": _("Password change required"),
    "user.password_reset": _("Reset password"),
    "user.password_reset_confirm": _("Confirm password reset"),
    "user.display": _("Change display mode"),
    "security_policy.update": _("Change security policy"),
    "security.alert": _("Security alert"),
    "role.assign": _("Assign role"),
    "role.revoke": _("Remove role"),
    "committee.create": _("Create committee"),
    "branch.create": _("Create branch"),
    "district.create": _("Add district"),
    "district.set_branch": _("Assign district to branch"),
    "committee.set_superior": _("Set superior organisation"),
    "party_group.create": _("Create party group"),
    # the member ledger
    "member.create": _("Register member"),
    "member.update": _("Edit member"),
    "member.reveal": _("View full personal number"),
    "member.access_denied": _("Member record refused"),
    "member.export": pgettext_lazy("audit action", "Export member ledger"),
    "member.link_user": _("Link account to member"),
    "member.note_add": _("Add behaviour note"),
    "member.change_request": _("Ask to correct own details"),
    # the API's personal access tokens
    "api_token.create": _("Create API token"),
    "api_token.revoke": _("Revoke API token"),
    "member.change_request_approve": _("Approve correction request"),
    "member.change_request_reject": _("Reject correction request"),
    "household.create": _("Create household"),
    "tag.create": _("Create tag"),
    "import.commit": _("Import member ledger"),
    "import.errors_download": _("Download import errors"),
    "import.discard": _("Discard import"),
    "import.retry": _("Retry import"),
    "import.interrupted": _("Import interrupted"),
    "import.file_delete": _("Delete uploaded import file"),
    "import.files_purge": _("Purge old import files"),
    "export.download": _("Download a background export"),
    "export.file_delete": _("Delete a background export's file"),
    "export.files_purge": _("Purge old export files"),
    # the flow history (flow.<event kind>)
    "flow.registered": _("Flow: registered"),
    "flow.reported": _("Flow: reported to the branch"),
    "flow.moved_branch": _("Flow: moved branch"),
    "flow.left_beijing": _("Flow: left Beijing"),
    "flow.returned": _("Flow: returned to Beijing"),
    "flow.transferred_out": _("Flow: transferred out"),
    "flow.lost_contact": _("Flow: lost contact"),
    "flow.contact_restored": _("Flow: contact restored"),
    "flow.contacted": _("Flow: contact recorded"),
    "flow.suspended": _("Flow: membership suspended"),
    "flow.restored": _("Flow: membership restored"),
    "flow.probation_completed": _("Flow: probation completed"),
    "flow.deceased": _("Flow: deceased"),
    "flow.correction": _("Flow: correction"),
    # organisational life
    "activity_type.create": _("Create activity type"),
    "activity_type.update": _("Edit activity type"),
    "activity.create": _("Plan activity"),
    "activity.update": _("Edit activity"),
    "activity.cancel": _("Cancel activity"),
    "activity_plan.generate": _("Generate annual plan"),
    "signup.create": _("Sign up"),
    "signup.cancel": _("Cancel sign-up"),
    "signup.promote": _("Move up from the waiting list"),
    "attendance.record": _("Record attendance"),
    "attendance.check_in": _("Check in"),
    "attendance.correct": _("Correct attendance"),
    "attendance.all_present": _("Mark all present"),
    "activity.sign_in_sheet": _("Print sign-in sheet"),
    "activity_note.create": _("Write activity note"),
    "activity_note.update": _("Edit activity note"),
    "activity_note.withdraw": _("Withdraw activity note"),
    "activity_note.attachment_download": _("Download note attachment"),
    "study.file_download": _("Download study material"),
    "study.readers_export": _("Export who has read a study item"),
    "points.participation_export": _("Export participation and points"),
    "study_item.create": _("Publish study item"),
    "study_item.update": _("Edit study item"),
    "study_item.withdraw": _("Withdraw study item"),
    "study_item.read": _("Mark study item read"),
    "report.export": _("Export report"),
    # points
    "points.settings_update": _("Change points settings"),
    "points.rules_seed": _("Add default points rules"),
    "points.rule_create": _("Create points rule"),
    "points.rule_revise": _("Revise points rule"),
    "points.rule_close": _("End points rule"),
    "points.entries_from_attendance": _("Points from attendance"),
    "points.entries_recompute": _("Recompute points"),
    "points.entries_from_study_read": _("Points from study reading"),
    "points.study_record_submit": _("Submit study record"),
    "points.study_record_approve": _("Approve study record"),
    "points.study_record_reject": _("Return study record"),
    "points.adjustment_create": _("Adjust points"),
    "points.adjustment_reverse": _("Reverse points adjustment"),
    "points.external_scores_import": _("Import external scores"),
    "points.import_file_delete": _("Delete uploaded scores file"),
    # money
    "finance.campaign_create": _("Open donation campaign"),
    "finance.gift_record": _("Record gift"),
    "finance.gift_reverse": _("Reverse gift"),
    "finance.handover_record": _("Record hand-over of donations"),
    "finance.gifts_export": _("Export gifts"),
    "finance.budget_create": _("Open year's budget"),
    "finance.budget_line_set": _("Change budget line"),
    "finance.budget_export": _("Export budget"),
    "finance.expense_record": _("Record expense"),
    "finance.expense_approve": _("Approve expense"),
    "finance.expense_reverse": _("Reverse expense"),
    "finance.dues_settings": _("Switch dues collection"),
    "finance.dues_base_set": _("Record dues base"),
    "finance.dues_pay": _("Record dues payment"),
    "finance.dues_export": _("Export dues ledger"),
    "finance.scan_download": _("Download receipt scan"),
    # care of elderly members
    "care.profile_update": _("Change care notes"),
    "care.elderly_export": _("Export elderly members"),
    "care.subscriptions_confirm": _("Confirm newspaper list"),
    "care.subscription_add": _("Add newspaper subscription"),
    "care.subscription_cancel": _("Cancel newspaper subscription"),
    "care.subscriptions_export": _("Export newspaper list"),
    "care.subscriptions_print": _("Print newspaper list"),
    "care.subscriptions_book": _("Book newspapers to the budget"),
    "care.plan_create": _("Make visit plan"),
    "care.plan_target_update": _("Change planned visit"),
    "care.plan_target_add": _("Add member to visit plan"),
    "care.visit_record": _("Record visit"),
    "care.visit_withdraw": _("Withdraw visit"),
    "care.photo_download": _("Download visit photo"),
    "care.item_create": _("Add store item"),
    "care.stock_in": _("Stock in"),
    "care.stock_in_book": _("Book a stock-in to the budget"),
    "care.stock_out": _("Hand out from the store"),
    "care.movement_reverse": _("Correct store movement"),
    # 党员之家: interest groups and contests (places, groups area)
    "group.create": _("Create interest group"),
    "group.update": _("Edit interest group"),
    "group.join": _("Join interest group"),
    "group.leave": _("Leave interest group"),
    "group.activity_link": _("Link activity to interest group"),
    "contest.create": _("Create contest"),
    "contest.awards_set": _("Set contest awards"),
    "contest.judge_add": _("Add contest judge"),
    "contest.entry_add": _("Add contest entry"),
    "contest.score": _("Score contest entry"),
    "contest.rank": _("Rank contest entries"),
    "contest.awards_give": _("Give contest awards"),
    "contest.file_download": _("Download contest entry file"),
    # 党员之家: heart-to-heart talks (places, talks area)
    "talk.create": _("Record heart-to-heart talk"),
    "talk.read": _("Read heart-to-heart talk content"),
    "talk.follow_up_done": _("Mark talk follow-up done"),
    "talk.reader_add": _("Name reader of talks"),
    "talk.reader_remove": _("Remove reader of talks"),
    "talk.settings": _("Change talk target"),
    # 党员之家: rooms and bookings, the reading corner, the archive corner
    "places.room_create": _("Add room"),
    "places.room_update": _("Change room"),
    "places.booking_request": _("Book a room"),
    "places.booking_confirm": _("Confirm room booking"),
    "places.booking_decline": _("Decline room booking"),
    "places.booking_cancel": _("Cancel room booking"),
    "places.book_create": _("Add book"),
    "places.loan_create": _("Lend book"),
    "places.loan_return": _("Return book"),
    "places.document_add": _("Add archive document"),
    "places.document_download": _("Download archive document"),
    # the operator's commands
    "audit.purge": _("Purge old audit entries"),
    "system.backup": _("Back up"),
    "system.restore": _("Restore from backup"),
}

# member.reveal says which number was shown (new_values["field"]).
REVEAL_LABELS = {
    "id_number": _("View full citizen ID number"),
    "phone": _("View full mobile phone number"),
}

# Object kinds that are not models.
OBJECT_TYPE_LABELS = {
    "url": _("page"),
    "members.import": _("import file"),
    "reports.overview": _("superior organisation overview"),
}

# Codes some services write in the message column.
MESSAGE_LABELS = {
    "masked": _("masked"),
    "unmasked": _("unmasked (full numbers)"),
}


def action_label(code: str, new_values=None) -> str:
    """The label of an action code (the code itself when it has none)."""
    if code == "member.reveal" and isinstance(new_values, dict) and new_values.get("field") in REVEAL_LABELS:
        return str(REVEAL_LABELS[new_values["field"]])
    label = ACTION_LABELS.get(code)
    return str(label) if label is not None else code


def object_type_label(code: str) -> str:
    """``members.member`` -> the model's verbose name (党员); unknown codes as they are."""
    from django.apps import apps

    if not code:
        return ""
    if code in OBJECT_TYPE_LABELS:
        return str(OBJECT_TYPE_LABELS[code])
    try:
        return str(apps.get_model(code)._meta.verbose_name)
    except (LookupError, ValueError):
        return code


def message_label(message: str) -> str:
    label = MESSAGE_LABELS.get(message)
    return str(label) if label is not None else message


def _model(code: str):
    from django.apps import apps

    try:
        return apps.get_model(code) if code and "." in code else None
    except (LookupError, ValueError):
        return None


def _field_labels(model) -> dict:
    """name -> (label, {value: choice label}) for a model's fields."""
    result = {}
    for field in model._meta.get_fields():
        if not hasattr(field, "verbose_name"):
            continue
        choices = {str(k): v for k, v in field.flatchoices} if getattr(field, "choices", None) else {}
        result[field.name] = (field.verbose_name, choices)
        if getattr(field, "attname", field.name) != field.name:
            result[field.attname] = (field.verbose_name, choices)
    return result


def describe_values(values, object_type: str = "") -> list[tuple[str, str]]:
    """Old/new values as (label, text) pairs: keys that are fields of the entry's model (or of a
    member) get the field's name, coded values their choice's label; booleans and empty values are
    spelled out. Values are shown as they were written (personal numbers were written masked)."""
    from django.apps import apps
    from django.utils.translation import gettext as gettext

    if not isinstance(values, dict):
        return [("", str(values))]
    members = apps.get_model("members", "Member")
    status = apps.get_model("members", "FlowEvent")._meta.get_field("status_after")
    fields = _field_labels(members)
    fields["status"] = (gettext("status"), {str(k): v for k, v in status.flatchoices})
    fields["id_number"] = (gettext("citizen ID number"), {})
    fields["phone"] = (gettext("mobile phone"), {})
    model = _model(object_type)
    if model is not None and model is not members:
        fields.update(_field_labels(model))
    names = {name: label for name, (label, _choices) in fields.items()}
    pairs = []
    for key, value in values.items():
        label, choices = fields.get(key, (key, {}))
        if value is True:
            text = gettext("yes")
        elif value is False:
            text = gettext("no")
        elif value in (None, "", [], {}):
            text = "—"
        elif isinstance(value, list):
            text = "、".join(str(choices.get(str(v), v)) for v in value)
        elif key == "field" and str(value) in names:  # member.reveal: which field was shown
            text = str(names[str(value)])
        else:
            text = str(choices.get(str(value), value))
        pairs.append((str(label), text))
    return pairs
