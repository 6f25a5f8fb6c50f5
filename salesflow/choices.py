"""The closed vocabularies of the book, each listed once.

The domain validates against these tuples and the command line builds its choice enums
from them, so `--help`, the validators and the import all agree. Standard library only:
the command line reads this module at start-up.
"""

# What a command that writes no file offers (a confirmation, a record shown); xlsx is a
# file format: a command writes a workbook only into a file (-o), never to a terminal or
# a pipe.
RECORD_FORMATS = ("table", "csv", "json")
# What a command that reports what it did (an import, an undo, a check) offers: its report
# holds lists and sections, which no CSV row holds.
SUMMARY_FORMATS = ("table", "json")
FORMATS = (*RECORD_FORMATS, "xlsx")
TIERS = ("A", "B", "C", "D")
CHANNELS = ("call", "visit", "email", "sms", "wechat", "meeting", "showroom", "other")
# How spreadsheets and people name the channels; the import reads these too.
CHANNEL_ALIASES = {
    "电话": "call",
    "拜访": "visit",
    "上门": "visit",
    "微信": "wechat",
    "短信": "sms",
    "邮件": "email",
    "会议": "meeting",
    "到店": "showroom",
    "展厅": "showroom",
    "其他": "other",
    "phone": "call",
}
DEAL_STATUSES = ("open", "won", "lost")
STAKEHOLDER_ROLES = (
    "decision-maker",
    "coach",
    "influencer",
    "purchasing",
    "technical",
    "quality",
    "user",
    "gatekeeper",
    "agent",  # 内部销售代理人: someone inside the customer who sells for us
)
ATTITUDES = ("supporter", "neutral", "opponent")
OBJECTION_OUTCOMES = ("worked", "failed")
# A unit (an apartment, a one-of-a-kind piece) is free until a deposit reserves it for one
# deal and a win sells it (现场销控).
UNIT_STATUSES = ("available", "reserved", "sold")
CAMPAIGN_CHANNELS = ("sms", "web", "event", "call", "visit", "wechat")
# The contact channel a campaign's contacts are logged with.
CAMPAIGN_CONTACT_CHANNELS = {
    "sms": "sms",
    "web": "other",
    "event": "meeting",
    "call": "call",
    "visit": "visit",
    "wechat": "wechat",
}
TARGET_RANKINGS = ("score", "value")
# Column layouts of a target list for the platform that sends to it.
TARGET_LAYOUTS = ("sms",)
REMINDER_KINDS = (
    "follow-up",
    "no-contact",
    "never-contacted",
    "used-up",
    "no-repurchase",
    "never-purchased",
    "stale-deal",
    "close-overdue",
    "birthday",
    # opt-in (setting remind.slipping): a regular buyer whose chance of still buying fell
    "slipping",
)
# remind also writes the list as a calendar file (iCalendar, RFC 5545)
REMIND_FORMATS = (*FORMATS, "ics")
# The chat robots the morning list is posted to (setting notify.kind)
ROBOT_KINDS = ("wecom", "dingtalk", "feishu", "webhook")
INTERVALS = ("year", "quarter", "month", "week", "day", "none")
COMPARISONS = ("prev", "yoy")
SALES_DIMENSIONS = (
    "company",
    "department",
    "rep",
    "store",
    "product",
    "category",
    "customer",
    "tier",
    "source",
)
PIPELINE_DIMENSIONS = ("stage", "owner", "close-month")
ACTIVITY_DIMENSIONS = ("rep", "channel")
MEMBER_DIMENSIONS = ("tier", "source", "owner", "store")
IMPORT_KINDS = ("customers", "products", "sales", "contacts", "returns")
EXPORT_KINDS = ("customers", "products", "sales", "contacts", "deals", "returns")
EXPORT_FORMATS = ("csv", "json", "xlsx", "vcf")  # vcf: customers as phone contacts
HEADER_LANGUAGES = ("en", "zh")
ENCODINGS = ("auto", "utf-8", "gb18030")
ON_DUPLICATE = ("error", "skip", "update")
