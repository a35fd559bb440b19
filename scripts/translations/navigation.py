TRANSLATIONS = {
    "Organisational life": "组织生活",
    "Study corner": "学习园地",
    "My reflections": "我的心得",
    "Approve study records": "审核学习记录",
    "Yearly plans": "年度计划",
    "Activity reports": "活动统计",
    "Participation and points": "参与情况与积分",
    "Points rules": "积分规则",
    "Import platform scores": "导入平台积分",
    "Points settings": "积分设置",
    "Calendar subscription": "日历订阅",
    # the activities card on the home page
    "Coming up": "近期活动",
    "today": "今天",
    "Take attendance": "考勤点名",
    "No activities coming up.": "近期没有活动。",
    "%(n)s of %(c)s places taken": "已报名%(n)s人，名额%(c)s人",
}
