"""Fill chosen entries of the zh_Hans catalogue and list what is still untranslated or fuzzy.

    .venv/bin/python scripts/po_fill.py            # report only
    (edit TRANSLATIONS below, then run again to apply)

Keys are (context or None, msgid). Used after ``manage.py makemessages -l zh_Hans``.
"""

from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parent.parent / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"

TRANSLATIONS = {
    ("flow event", "Transferred out"): "转出",
    ("flow event", "Lost contact"): "失联",
    ("flow event", "Record a contact"): "记录联系",
    ("flow event", "Membership suspended"): "停止党籍",
    ("flow event", "Deceased"): "去世",
    (None, "To correct a mistake, use “Correct this event” on the member's latest event."): "如需更正错误，请在该党员最近一条流动记录上点击“更正此事项”。",
    ("organisation", "name"): "名称",
    (None, "All results"): "全部结果",
    (None, "Find a member"): "查找党员",
    (None, "No contact for %(n)s+ months"): "超过%(n)s个月未联系",
    (None, "yes"): "是",
    (None, "no"): "否",
    (None, "Name, pinyin, phone, ID last 4"): "姓名/拼音/手机/身份证后4位",
    (None, "Now %(masked)s. Leave empty to keep it."): "当前为 %(masked)s，留空表示不修改。",
    (None, "Ledger of the mobile party members committee: flow, study, activities, behaviour and work"): "流动党员党委台账：流入流出、学习、活动、行为特征与工作情况",
    (None, "None yet."): "暂无。",
    (None, "This field is required."): "此项为必填项。",
    (None, "new household"): "新建同住家庭",
    (None, "To start a new household, give it a name (e.g. 李秀英、王建国家); leave the choice above empty."): "如需新建同住家庭，请填写家庭名称（如“李秀英、王建国家”），并将上方的选择留空。",
    (None, "Choose an existing household or name a new one, not both."): "请选择已有的同住家庭或填写新家庭名称，二者只能选其一。",
    (None, "There is no active user named “%(name)s”."): "没有名为“%(name)s”的有效用户。",
    (None, "Normal"): "正常",
    (None, "Suspended"): "停止党籍",
    (None, "Restored"): "恢复党籍",
    (None, "Enter a name for the household."): "请填写同住家庭的名称。",
    (None, "party standing"): "党籍状态",
    (None, "%(counter)s value"): "共%(counter)s项",
    (None, "Everyone, incl. transferred out and deceased"): "全部（含已转出、已故）",
    (None, "contact"): "联系情况",
    (None, "No contact for 5+ months"): "超过5个月未联系",
    (None, "Any"): "不限",
    (None, "Counts as of"): "统计截至",
    (None, "Working or settled in Beijing"): "在京工作定居",
    (None, "Stationed office or long business trip"): "驻京办事处或出差",
    (None, "Back to today"): "回到今天",
    (None, "Historical view: counts come from the flow history on that day"): "历史视图：按当日的流动记录统计",
    (None, "“%(value)s” is not a date; write it as YYYY-MM-DD."): "“%(value)s”不是有效日期，请按“年-月-日”（YYYY-MM-DD）填写。",
    (None, "Counts can only be shown for today or a past date."): "只能查看今天或过去某一天的统计。",
}


def main():
    with PO.open("rb") as f:
        catalog = read_po(f, locale="zh_Hans")
    missing = []
    for message in catalog:
        if not message.id:
            continue
        key = (message.context, message.id if isinstance(message.id, str) else message.id[0])
        if key in TRANSLATIONS:
            text = TRANSLATIONS[key]
            message.string = (text,) if isinstance(message.id, tuple) else text
            message.flags.discard("fuzzy")
            message.previous_id = []
        empty = not message.string if isinstance(message.string, str) else not all(message.string)
        if empty or "fuzzy" in message.flags:
            missing.append(key)
    with PO.open("wb") as f:
        write_po(f, catalog, width=120, omit_header=False)
    for key in missing:
        print("untranslated:", key)
    print(f"{len(catalog)} entries, {len(missing)} untranslated")


if __name__ == "__main__":
    main()
