"""The ledger's spreadsheet columns: one definition shared by import, export and the template.

Headers are the national member system's names (全国党员管理信息系统) plus the committee's own. An export
writes ``header``; an import accepts ``header`` or any of ``aliases`` (compared after trimming spaces and
turning full-width characters into half-width ones, see ``normalise_header``). ``key`` is the name the
import/export code uses for the value (mostly a Member field).
"""

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class LedgerColumn:
    key: str
    header: str
    aliases: tuple = ()
    required: bool = False
    national: bool = True  # a column of the national system (False: the committee's own)
    alternative: str = ""  # a required column may be left out when this column (a key) is there


COLUMNS = [
    LedgerColumn("name", "姓名", required=True),
    LedgerColumn("gender", "性别"),
    LedgerColumn("id_number", "公民身份号码", ("身份证号", "身份证号码", "身份证"), required=True),
    LedgerColumn("ethnicity", "民族"),
    LedgerColumn("birth_date", "出生日期"),
    LedgerColumn("education", "学历"),
    LedgerColumn("membership_type", "人员类别", required=True),  # 正式党员 / 预备党员
    LedgerColumn("branch", "所在党支部", ("所在支部", "支部"), required=True, alternative="district"),
    LedgerColumn("phone", "手机号码", ("联系电话", "手机", "手机号")),
    LedgerColumn("join_date", "入党日期", ("入党时间",), required=True),
    LedgerColumn("full_membership_date", "转正日期", ("转正时间",)),
    LedgerColumn("position", "工作岗位"),
    LedgerColumn("residence", "现居住地"),
    LedgerColumn("household_registration", "户籍所在地"),
    LedgerColumn("lost_contact", "是否失联党员"),
    LedgerColumn("is_mobile", "是否流动党员"),
    LedgerColumn("category", "人员类型", required=True, national=False),
    LedgerColumn("district", "所在区", national=False),
    LedgerColumn("employer", "工作单位", national=False),
    LedgerColumn("industry", "所属行业", national=False),
    LedgerColumn("tags", "标签", national=False),  # separated by , ， or 、
    LedgerColumn("remarks", "备注", national=False),  # the latest behaviour note
    LedgerColumn("registered_on", "登记日期", ("流入日期",), national=False),  # registration with the committee
]

BY_KEY = {c.key: c for c in COLUMNS}

# Values as the committee writes them. Import accepts the keys; export writes the first of each.
CATEGORY_VALUES = {
    "working": ("在京工作定居", "在京务工定居", "在京务工、定居", "1"),
    "resident": ("无工作长期居住", "无工作长期居住生活", "2"),
    "stationed": ("驻京办事处或出差", "驻京办事处或长期出差", "驻京办事处", "长期出差", "3"),
}
MEMBERSHIP_VALUES = {"full": ("正式党员", "正式"), "probationary": ("预备党员", "预备")}
GENDER_VALUES = {"M": ("男",), "F": ("女",)}
EDUCATION_VALUES = {
    "postgraduate": ("研究生", "博士研究生", "硕士研究生", "博士", "硕士"),
    "bachelor": ("大学本科", "本科"),
    "college": ("大学专科", "大专", "专科"),
    "secondary": ("中专", "中等专科", "中技"),
    "high_school": ("高中",),
    "middle_school": ("初中及以下", "初中", "小学"),
}
YES_NO = {True: ("是", "Y", "YES", "TRUE", "1", "√"), False: ("否", "N", "NO", "FALSE", "0", "")}


# Headers an import reads past without listing them as unknown: the row number many ledgers start with
# and the error column of the error file an import gives back (so a fixed error file uploads again).
ERROR_HEADER = "错误"
IGNORED_HEADERS = ("序号", ERROR_HEADER)


def normalise_header(text) -> str:
    """Trim, turn full-width characters into ASCII (NFKC) and drop all spaces inside the header."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text or "")))


def header_lookup() -> dict:
    """Normalised header or alias -> column key."""
    lookup = {}
    for column in COLUMNS:
        for name in (column.header, *column.aliases):
            lookup[normalise_header(name)] = column.key
    return lookup
