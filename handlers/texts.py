"""Every sentence the citizen dialog says, in one place, with the city's overrides from `config.yaml: texts`.

`say(city, key, **values)` uses `city.texts.<key>` when the city configured a text of that name (the Texts model
accepts extra keys) and the default below otherwise. Placeholders are `{name}`; values are inserted, never
formatted themselves, so a citizen's braces cannot break a template. `{case_number}` is left in place for `bot/`
to fill with `str.replace` after it allocates the number.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from handlers.config import CityConfig

DEFAULTS: Mapping[str, str] = {
    # Entry, small talk, help.
    "guide": (
        "您好！办事时遇到门难进、脸难看、事难办，或者吃拿卡要、推诿拖延，可以直接告诉我：哪个单位、什么事、"
        "大概什么时间，打字或发语音都行。\n查进度请发送“查询 工单号”，发送“帮助”查看使用说明。"
    ),
    "thanks": "不客气！有需要随时找我。",
    "nothing_more": "好的。以后办事时遇到具体问题，随时发消息告诉我们。",
    "report_start": (
        "好的，请说说您遇到的情况：在哪个单位、办什么事、对方怎么做的、大概什么时间。打字或发语音都可以，"
        "分几条发也没关系。"
    ),
    "report_start_qr": "您扫描的是“{place}”的二维码。请说说您在这里遇到的情况，打字或发语音都可以。",
    "report_busy": "您有一条反映正在填写，我们接着来。",
    "pending_reminder": "——您还有一条反映没提交。{question}",
    # What happened.
    "ask_more": "收到。能再具体说说吗？比如在哪个单位、办什么事、对方是怎么做的。说完了请回复“说完了”。",
    "more_noted": "好的，已记下。还有要说的请接着说，说完了请回复“说完了”。",
    "collect_more": "请接着说说发生了什么，说完了请回复“说完了”。",
    "text_received": "收到，已记下。",
    "need_text": "请先用文字或语音说说发生了什么，说完后我来帮您整理。",
    "text_appended": "已把这段话补充到事情经过里。",
    "media_saved": "{media}已收到，会附在这次反映里。",
    "voice_unclear": "语音已保存，但没能识别出文字，方便的话请打字再说一下。",
    "amend_text": "请把事情经过重新说一遍，新的描述会替换原来的。",
    # The unit.
    "ask_unit_confirm": "您反映的是“{unit}”吗？回复“是”或“不是”。",
    "ask_unit_choose": "请问您反映的是哪个单位？回复序号：\n{options}\n也可以直接告诉我单位名称。",
    "ask_unit_name": "请问您反映的是哪个单位？直接告诉我名称就行，比如“车管所”“社保局”；不确定的话回复“不确定”。",
    "unit_unsure_option": "不确定（由工作人员帮您确认）",
    "unit_unknown": "没找到“{name}”这个单位。",
    "unit_set": "好的，单位记为：{unit}。",
    "understood": "收到，您反映的是“{unit}”的问题。",
    "unit_unsure_ok": "没关系，工作人员会帮您确认具体单位。",
    "choice_nudge": "请回复序号（1-{n}），或者直接告诉我单位名称。",
    "yes_no_nudge": "请回复“是”或“不是”。",
    "window_set": "好的，窗口记为：{window}。",
    "place_set": "好的，地点记为：{place}。",
    "location_set": "位置已收到：{place}。",
    # When.
    "ask_when": ("这件事大概是什么时候发生的？比如“今天上午”“昨天下午”“11月20日”；记不清也没关系，回复“记不清”就行。"),
    "when_nudge": "没看明白时间。可以说“昨天下午”“上周五”“11月20日”，记不清就回复“记不清”。",
    "when_future": "“{words}”好像还没到，请再说一下是哪天发生的。",
    "when_set": "好的，时间记为：{when}。",
    # Evidence.
    "ask_evidence": (
        "如果有照片、视频或录音，现在可以直接发给我（可以发多份）；方便的话也可以告诉我窗口号或发送位置。\n"
        "发完了或没有材料，请回复“好了”或“没有”。"
    ),
    "ask_evidence_known_window": (
        "如果有照片、视频或录音，现在可以直接发给我（可以发多份）。\n发完了或没有材料，请回复“好了”或“没有”。"
    ),
    "evidence_noted": "第{n}份材料已收到。还有可以继续发，发完了请回复“好了”。",
    "evidence_cleared": "已删除之前发送的材料。",
    "evidence_how_to_clear": "已发的材料都会保留；想删掉重新发，请回复“删除”。",
    "evidence_full": "材料已经有{n}份了，先收到这里。",
    "evidence_nudge": "发完了或者没有材料，请回复“好了”或“没有”。",
    # Identity.
    "ask_identity": (
        "您希望匿名还是实名反映？\n1. 匿名（被反映的单位看不到您的任何信息）\n"
        "2. 实名（留下姓名和手机号，方便核实和回访）\n请回复 1 或 2。"
    ),
    "identity_nudge": "请回复 1（匿名）或 2（实名）。",
    "ask_contact": (
        "请回复您的姓名和手机号，例如：张三 13812345678。您的信息只用于核实和回访，不会告诉被反映的单位。"
        "想匿名的话回复“匿名”。"
    ),
    "ask_contact_name": "手机号 {phone} 已记下。请问怎么称呼您？",
    "ask_contact_phone": "好的，{name}。请再留一个手机号（1开头的11位数字）。",
    "phone_invalid": "这个手机号好像不对，请输入1开头的11位手机号，例如 13812345678；想匿名的话回复“匿名”。",
    "identity_anonymous": "好的，匿名反映。",
    "identity_real": "好的，实名：{name} {phone}。",
    # Read-back.
    "review": "最后一步，请核对您的反映：\n{summary}\n回复“确认”提交，“修改”更改内容，“取消”放弃。",
    "review_nudge": "请回复“确认”提交，“修改”更改内容，或“取消”放弃。",
    "summary_unit": "· 被反映单位：{unit}",
    "summary_text": "· 事情：{text}",
    "summary_when": "· 时间：{when}",
    "summary_place": "· 地点：{place}",
    "summary_evidence": "· 材料：{evidence}",
    "summary_identity": "· 身份：{identity}",
    "unit_pending": "待确定（工作人员会帮您确认）",
    "when_unknown": "记不清",
    "no_evidence": "无",
    "anonymous": "匿名",
    "amend": (
        "想修改哪一项？回复序号：\n1. 单位\n2. 事情经过\n3. 时间\n4. 材料\n5. 身份\n"
        "也可以直接说，比如“单位是车管所”“时间是昨天”。"
    ),
    "amend_nudge": "请回复 1-5 中的一个序号，或者直接说要改什么。",
    # Submission.
    "submitted": "提交成功！工单号：{case_number}。\n{next_step}{anonymous_note}您可以随时发送“查询 {case_number}”了解进度。",
    "next_step": (
        "我们会交给负责督办该单位的工作人员跟进（不会交给被反映单位的人处理），一般在{days}个工作日内答复您。"
    ),
    "next_step_triage": "我们会安排督办人员尽快跟进（不会交给被反映单位的人处理），并把结果告诉您。",
    "anonymous_note": "您选择了匿名，被反映单位不会知道您是谁。",
    "limit_reached": (
        "您今天已经提交了{count}件反映，达到每天{limit}件的上限，请明天再来。已提交的事项可以发送"
        "“补充 工单号 内容”补充情况。"
    ),
    "limit_reached_review": (
        "您今天已经提交了{count}件反映，达到每天{limit}件的上限。这条反映先为您保留，明天回复“确认”就能提交。"
    ),
    # Cancel, restart, resume.
    "cancelled": "好的，这次反映已取消，填写的内容已删除。有需要随时再来找我。",
    "nothing_to_cancel": "目前没有正在填写的反映。有问题可以直接告诉我。",
    "restarted": "好的，之前没提交的内容已删除，我们重新开始。",
    "resume": "欢迎回来！您之前有一条反映还没提交：\n“{excerpt}”\n回复“继续”接着填写，回复“重新开始”重新反映。",
    "resume_nudge": "请回复“继续”接着填写，或回复“重新开始”重新反映。",
    "resumed": "好的，我们接着来。",
    "unsupported_here": "这类消息我暂时看不懂。",
    # Afterwards: status, my cases, supplements.
    "status_head": "工单 {number}\n状态：{label}",
    "status_unit": "被反映单位：{unit}",
    "status_category": "问题类型：{category}",
    "status_created": "提交时间：{created}",
    "status_due": "预计答复：{due}前",
    "status_update": "最新进展（{updated}）：{note}",
    "query_not_found": "没有找到工单 {number}。请核对工单号；这里只能查询您自己提交的反映。",
    "query_bad_number": "工单号是“ZY”加10位数字，例如 ZY2611270001。请发送“查询 工单号”。",
    "no_cases": "您还没有提交过反映。遇到问题可以直接告诉我。",
    "case_list": "您最近的反映：\n{items}\n发送“查询 工单号”查看详情。",
    "case_list_item": "{i}. {number}｜{label}｜{unit}｜{created}",
    "supplement_ask": "请发送要补充到工单 {number} 的文字、照片或视频，发完了请回复“好了”。",
    "supplement_saved": "已补充到工单 {number}。还有可以继续发，发完了请回复“好了”。",
    "supplement_saved_once": "已补充到工单 {number}，工作人员会一并查看。",
    "supplement_done": "好的，补充完毕，工作人员会一并查看。",
    "supplement_which": "请发送“补充 工单号 内容”，例如：补充 ZY2611270001 当时是5号窗口。",
    # What a first message wants, when it is not a report.
    "ask_intent": (
        "请问您是想：\n1. 反映问题（投诉、举报干部作风）\n2. 表扬\n3. 提意见建议\n4. 咨询怎么办事\n回复序号就行。"
    ),
    "ask_intent_nudge": "请回复 1-4 中的一个序号。",
    "praise_thanks": "谢谢您的表扬！我们会转告{target}，并记入该单位的服务评价。",
    "praise_ask_target": "谢谢您的表扬！请问您要表扬的是哪个单位（或哪个窗口、哪位工作人员）？",
    "praise_target_unknown": "有关单位",
    "suggestion_thanks": "感谢您的意见建议！已记录下来，转交治庸办研究，我们会认真对待每一条建议。",
    "consult_answer": "{unit}办事指南：\n{lines}\n这里主要受理干部作风方面的反映；办事中遇到推诿、刁难，欢迎随时告诉我。",
    "consult_fallback": (
        "这里是{account}，主要受理干部作风方面的反映（门难进、脸难看、事难办、吃拿卡要等），不办理具体业务。"
        "办事咨询{where}，或拨打{hotline}政务服务便民热线。"
    ),
    "consult_where_unit": "请联系{unit}（电话 {phone}）",
    "consult_where_none": "请联系相关单位",
    "chitchat": "您好！我是{account}的小助手。",
    "abuse_reply": "理解您的心情。如果您在办事中遇到了问题，欢迎具体说说：哪个单位、什么事、什么时间，我们会认真登记、督促办理。",
    "fear": (
        "请放心：您的身份信息严格保密，被反映单位不会知道是谁反映的；对反映人、举报人打击报复是违纪违法行为，"
        "一经查实严肃处理。您也可以选择匿名反映，不留任何个人信息。"
    ),
    "cancelled_kept": "好的，这次反映已取消。30分钟内回复“恢复”可以找回刚才填写的内容。",
    "restored": "已恢复刚才的反映，我们接着来。",
    "left": "好的。有需要随时找我。",
    "nothing_to_restore": "没有可以恢复的内容（取消超过30分钟的反映已删除）。有问题可以直接告诉我。",
    "clarify": "能再具体一点吗？比如办的是什么证件或业务、卡在哪一步、是哪个单位的哪个窗口？",
    "split_offer": (
        "您反映的事涉及两个单位：{first} 和 {second}。要分成两件，分别交给各自的督办人员吗？\n"
        "1. 分成两件\n2. 合成一件\n请回复 1 或 2。"
    ),
    "split_nudge": "请回复 1（分成两件）或 2（合成一件）。",
    "split_done": "好的，分成两件：{first}、{second}。",
    "submitted_split": (
        "提交成功！已分成两件：\n{first}：工单号 {case_number}\n{second}：工单号 {second_case_number}\n"
        "{next_step}{anonymous_note}您可以随时发送“查询 工单号”了解进度。"
    ),
    "next_step_discipline": (
        "您反映的情况涉及吃拿卡要，将转市纪委监委办理，治庸办同步跟踪督办。反映人受法律保护，您的信息严格保密；"
        "也可以直接拨打纪检监察举报电话12388。"
    ),
    "summary_category": "· 问题类型：{category}",
    "category_pending": "待工作人员确认",
    "list_pick_nudge": "回复序号查看详情，或直接告诉我您想做什么。",
    "rating_reason_ask": "已收到您的评价，工单 {number} 将重新办理。方便的话请说说哪里不满意，我们会附在重办工单里交给督办人员。",
    "rating_reason_saved": "已把您的意见附在工单 {number} 里，督办人员会一并处理。谢谢您！",
    "rate_ask": (
        "请为“{place}”的服务打分：\n5 非常满意\n4 满意\n3 基本满意\n2 不满意\n1 非常不满意\n"
        "回复数字或文字就行。评价匿名，办事窗口看不到您是谁，也不会影响您办事。"
    ),
    "rate_nudge": "请回复 1-5 中的一个数字（5 非常满意，1 非常不满意），或直接说“满意”“不满意”。",
    "rate_thanks": "谢谢您的评价（{level}）！您的每一次评价都会计入窗口的服务考核。",
    "rate_reason_ask": "很抱歉让您不满意（{level}）。请说说哪里做得不好，我们会交给督办人员核实整改，并把结果告诉您。",
    "rate_reason_thanks": "已收到，工单号：{case_number}。督办人员会核实情况、督促整改，在{days}个工作日内回复您。",
    "rate_reason_none": "好的，您的评价（{level}）已记下。如果愿意说说原因，随时可以告诉我。",
}

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")

MEDIA_NAMES: Mapping[str, str] = {"image": "照片", "voice": "语音", "video": "视频"}


def template(city: CityConfig, key: str) -> str:
    """The city's text for `key` when it configured one, else the default; KeyError for an unknown key."""
    override = getattr(city.texts, key, None)
    if isinstance(override, str) and override:
        return override
    return DEFAULTS[key]


def say(city: CityConfig, key: str, **values: object) -> str:
    """Fill `key`'s template; a placeholder the template lacks is ignored, one without a value stays as is."""
    # One pass, so a value that happens to contain "{something}" is never substituted again.
    return _PLACEHOLDER.sub(
        lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0), template(city, key)
    )
