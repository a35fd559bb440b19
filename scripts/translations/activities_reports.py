"""Translations of the activity reports, exports, member-page activity profile, activity types page and
calendar feed (engineer C). Merged by scripts/po_fill.py after makemessages."""

TRANSLATIONS = {
    # report page
    "Activity report": "活动统计",
    "Activities by type": "按类型统计活动",
    "Activity type": "活动类型",
    "Activities held": "开展次数",
    "Attendances": "参加人次",
    "Number of activities": "活动次数",
    "Activity": "活动",
    "No activity was held in this period.": "该期间未开展活动。",
    "Cancelled and not yet started activities are not counted. Attendances are members present.":
        "已取消和尚未开始的活动不计入；参加人次为实到人次。",
    "Attendance by branch": "各支部出勤情况",
    "Activities organised": "组织活动次数",
    "Members expected": "应到",
    "Members present": "实到",
    "Members on leave": "请假",
    "Members absent": "缺席",
    "Attendance rate": "出勤率",
    "Members expected counts each member once per activity whose audience they were in on its day; "
    "an expected member without a record counts as absent.":
        "应到：党员在活动当日属于活动参加范围的，每次活动计1次；应到而无考勤记录的计为缺席。",
    "Expected and held: organisational life": "组织生活应开展与已开展情况",
    "From %(start)s to %(end)s: held / expected, the yearly frequency prorated to the period. "
    "A branch's count includes the committee's activities open to its members.":
        "%(start)s至%(end)s：已开展/应开展，应开展次数按年度频次折算到所选期间。"
        "支部的已开展次数包含党委组织、面向本支部党员的活动。",
    "%(counter)s a year": "每年%(counter)s次",
    "Fewer held than expected": "已开展次数少于应开展次数",
    "Short": "未达标",
    "Met": "已达标",
    "Organising unit": "组织单位",
    "No organisational-life type has an expected yearly frequency, or the period lies before the founding.":
        "没有设定年度应开展次数的组织生活类型，或所选期间早于党委成立日期。",
    "Attendance by member": "党员出勤情况",
    "%(counter)s member": "共%(counter)s名党员",
    "Last attended": "最近参加",
    "Attended without being in the audience": "不在参加范围内但参加了",
    "No member was expected at an activity in this period.": "该期间没有应参加活动的党员。",
    "Export to Excel": "导出Excel",
    "Calendar subscription": "日历订阅",
    "Activity types": "活动类型",
    "Report period": "统计期间",
    "From": "开始日期",
    "To": "结束日期",
    "The dates are not valid; showing this year instead.": "日期填写有误，下面显示的是今年的统计。",
    "The end date must not be before the start date.": "结束日期不能早于开始日期。",
    "Enter a date between %(first)s and %(last)s.": "请填写%(first)s至%(last)s之间的日期。",
    "This year": "今年",
    "Last year": "去年",
    "Since the founding": "成立以来",
    "The first four years": "前四年",
    "Your role does not give access to the activity reports.": "您的角色无权查看活动统计。",
    # one member's attendance list
    "Attendance of %(name)s": "%(name)s的出勤记录",
    "Attendance result": "出勤结果",
    "Date": "日期",
    "Attended (not in the audience)": "参加（不在参加范围内）",
    "no record": "无记录",
    "No activity for this member in this period.": "该党员在此期间没有相关活动。",
    # export workbook
    "By type": "按类型",
    "By member": "按党员",
    "Expected and held": "应开展与已开展",
    "Expected per year": "每年应开展次数",
    "Expected in the period": "期间应开展次数",
    "Held": "已开展",
    "Result": "结果",
    "Period: %(from)s to %(to)s": "统计期间：%(from)s至%(to)s",
    # activity profile panel
    "Activity profile": "活动画像",
    "Last 12 months": "近12个月",
    "Since registration": "登记以来",
    "Types attended": "参加过的活动类型",
    "Attendance list": "出勤记录",
    # activity types page
    "Type name": "类型名称",
    "Counts as organisational life": "属于组织生活",
    "Order": "排序",
    "In use": "启用",
    "Not in use": "停用",
    "Smaller numbers come first in lists.": "数字越小越靠前。",
    "Add an activity type": "新增活动类型",
    "Edit the activity type": "编辑活动类型",
    "No activity type yet.": "暂无活动类型。",
    "The expected yearly frequency drives the “expected and held” panel of the activity report; "
    "0 means no expectation.":
        "“每年应开展次数”用于活动统计中的“应开展与已开展”对照；填0表示不作要求。",
    "Only the committee's administrators can change the types.": "只有党委管理员可以修改活动类型。",
    "The activity type “%(name)s” was added.": "已新增活动类型“%(name)s”。",
    "The activity type “%(name)s” was saved.": "活动类型“%(name)s”已保存。",
    "Your role does not give access to the activity types.": "您的角色无权查看活动类型。",
    # calendar feed
    "Organisational life": "组织生活",
    "Type: %(type)s": "活动类型：%(type)s",
    "Organised by: %(organiser)s": "组织单位：%(organiser)s",
    "Cancelled: %(reason)s": "已取消：%(reason)s",
    "Add your activities to the calendar on your phone or computer: the calendar then shows every activity "
    "you are invited to, from %(past_days)s days ago on, and updates itself when an activity is added, "
    "moved or cancelled.":
        "把活动添加到手机或电脑的日历中：日历会显示您应参加的所有活动（从%(past_days)s天前起），"
        "活动新增、改期或取消时会自动更新。",
    "Your personal calendar link": "您的个人日历链接",
    "Copy": "复制",
    "Copied": "已复制",
    "Open in the calendar app": "在日历应用中打开",
    "How to subscribe": "如何订阅",
    "iPhone / iPad: tap “Open in the calendar app” and confirm “Subscribe”.":
        "iPhone / iPad：点击“在日历应用中打开”，再点“订阅”。",
    "Android, Outlook or other calendars: copy the link and add it as a calendar “from the internet” "
    "(subscription by URL).":
        "安卓手机、Outlook或其他日历：复制链接，在日历中选择“添加网络日历”（通过网址订阅）。",
    "Keep this link to yourself: anyone who has it can see your activities. If it has been passed on, "
    "change your password: the old link then stops working and this page shows a new one.":
        "请妥善保管此链接，任何拿到链接的人都能看到您的活动安排。如链接已外传，请修改密码："
        "旧链接随即失效，本页会显示新的链接。",
}
