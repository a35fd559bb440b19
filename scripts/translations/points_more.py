"""Chinese for the msgids added to the points app by H2: closing a rule, manual adjustments (手工调整/冲正),
participation for any period and platform scores beside the points. Merged by scripts/po_fill.py."""

TRANSLATIONS = {
    # models / services
    "Manual adjustment": "手工调整",
    "Manual adjustments are not a rule of their own: record them on the member's points page.":
        "手工调整不是单独的积分规则，请在党员的积分页面中录入。",
    "The manual adjustment rule cannot be closed.": "手工调整规则不能停用。",
    "The manual adjustment rule cannot be revised.": "手工调整规则不能修订。",
    "This version has already been replaced by a newer version; close the newest version.":
        "该版本已被新版本取代，请停用最新版本。",
    "This rule already ended on %(day)s.": "该规则已于%(day)s停止执行。",
    "Enter the last day the rule gives points.": "请填写规则计分的最后一天。",
    "The last day cannot be before %(day)s, when this version took effect.":
        "最后一天不能早于该版本的生效日期%(day)s。",
    "You cannot adjust your own points; another secretary has to do it.": "不能调整本人的积分，请由其他书记办理。",
    "Your role cannot adjust the points of this member.": "您的角色无权调整该党员的积分。",
    "The points must be a whole number between -%(n)d and %(n)d.": "积分必须是-%(n)d到%(n)d之间的整数。",
    "An adjustment of 0 points would change nothing; enter the points (negative to deduct).":
        "调整0分没有意义，请填写分值（扣分填负数）。",
    "Enter the reason for the adjustment; the member reads it.": "请填写调整原因，党员本人可以看到。",
    "The reason is too long (at most 300 characters).": "原因太长（最多300个字）。",
    "Enter the date.": "请填写日期。",
    "The date cannot be in the future.": "日期不能晚于今天。",
    "The date cannot be before %(day)s.": "日期不能早于%(day)s。",
    "Only manual adjustments can be reversed here; other entries follow attendance, study and approvals.":
        "这里只能冲正手工调整；其他积分记录随出勤、学习和审核结果自动更正。",
    "This adjustment has already been reversed.": "该调整已经冲正过了。",
    # forms
    "From": "开始日期",
    "To": "结束日期",
    "platform": "平台",
    "Platform": "平台",
    "Enter a date between %(first)s and %(last)s.": "请填写%(first)s至%(last)s之间的日期。",
    "Enter both the start and the end date, or choose a period above.": "请同时填写开始和结束日期，或选择上方的时间段。",
    "The end date must not be before the start date.": "结束日期不能早于开始日期。",
    "Choose a period of at most five years.": "时间段最长为五年。",
    "Negative to deduct, for example -2.": "扣分填负数，例如 -2。",
    "reason": "原因",
    "For example: 表彰：优秀共产党员. The member reads it.": "例如：表彰：优秀共产党员。党员本人可以看到。",
    "last day in force": "最后执行日",
    "The rule gives no points for anything after this day. Entries already made stay.":
        "此日之后规则不再计分，已产生的积分记录保留。",
    # views
    ("period", "This year"): "今年",
    ("period", "Last year"): "去年",
    ("period", "This quarter"): "本季度",
    ("period", "Last quarter"): "上季度",
    "%(points)+d points recorded for %(name)s.": "已为%(name)s记录 %(points)+d 分。",
    "The adjustment “%(reason)s” has been reversed by a correcting entry.": "调整“%(reason)s”已通过冲正记录撤销。",
    "“%(name)s” gives no points after %(day)s.": "“%(name)s”自%(day)s之后不再计分。",
    # templates
    "Close a rule": "停用规则",
    "Close “%(name)s” (version %(v)s)": "停用“%(name)s”（第%(v)s版）",
    "This version took effect on %(day)s. After the last day it gives no points; entries already made keep their "
    "version. To change the points instead, revise the rule.":
        "该版本自%(day)s起生效。最后执行日之后不再计分，已产生的积分记录保留原版本。如需修改分值，请修订规则。",
    "Close the rule": "停用规则",
    "Back": "返回",
    "Each manual adjustment carries its own points and reason; record it on the member's points page.":
        "每条手工调整都有各自的分值和原因，请在党员的积分页面中录入。",
    ("end a rule", "Close"): "停用",
    "Closed: no points after %(day)s.": "已停用：%(day)s之后不再计分。",
    "Points of %(name)s": "%(name)s的积分",
    "Points of %(name)s in %(year)s": "%(name)s的%(year)s年积分",
    "Member record": "党员档案",
    "reversed": "已冲正",
    ("points entry", "Reverse"): "冲正",
    "Entries are never edited or deleted: a reversal adds a correcting entry with the opposite points.":
        "积分记录不能修改或删除：冲正会新增一条分值相反的更正记录。",
    "For a commendation, or an entry that was missed. Each adjustment is recorded with your name and can only be "
    "undone by a reversal.": "用于表彰加分或补记漏记的积分。每条调整都记录办理人，只能通过冲正撤销。",
    "Record the adjustment": "记录调整",
    "Participation %(start)s – %(end)s": "参与情况 %(start)s – %(end)s",
    "The dates could not be used; showing %(start)s – %(end)s instead.":
        "所填日期无法使用，现显示 %(start)s – %(end)s 的情况。",
    "Points: the annual baseline %(b)s plus every entry of the year up to today. Threshold: %(t)s points (baseline "
    "included). Rows below it are highlighted.":
        "积分：年度基础分%(b)s分加上本年度截至今天的全部积分记录。达标线：%(t)s分（含基础分），低于达标线的行突出显示。",
    "Points: the sum of the entries in the period, without the annual baseline. The baseline and the threshold "
    "apply to a whole calendar year only, so no row is highlighted; choose a whole year to see who is below the "
    "threshold.":
        "积分：该时间段内积分记录之和，不含年度基础分。基础分和达标线只适用于完整的自然年，因此不突出显示任何行；"
        "如需查看未达标人员，请选择整年。",
    "%(platform)s: the scores as imported, never recomputed and not part of the points. Only snapshots whose whole "
    "period lies inside the dates count, the newest import of each; for a year with a yearly score that score is "
    "shown, otherwise the monthly scores inside the dates are added up.":
        "%(platform)s：按导入的原始分数显示，不重新计算，也不计入积分。只统计统计周期完全落在所选日期内的分数，"
        "同一周期以最新导入为准；有年度分数的年份显示年度分数，否则累加所选日期内的月度分数。",
    "Points details": "积分明细",
}
