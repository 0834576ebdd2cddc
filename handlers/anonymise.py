"""Anonymising a finished case's words for the retention job: keep what happened, remove who.

Pure string functions. Phone and ID numbers go through `handlers.masking` and then lose their remaining digits;
the reporter's own name (from the restricted contact row) goes wherever it appears; and the usual ways people
name someone in a complaint — 张科长, 李某某, 我叫王小明, 工号1234 — become 某科长, 某某, 我叫某某, 工号[已删除].
The name rules are a heuristic over common surnames: they err towards removing too much, never too little of a
named person, and leave the behaviour described (态度差, 跑了三趟) untouched for statistics.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from handlers.masking import SEPARATOR
from handlers.masking import mask_text

REMOVED = "[已删除]"
ANONYMOUS = "anon"  # the pseudonym an anonymised case carries: no citizen can be traced from it

# Common surnames (compound ones first), minus characters that are everyday words (和, 时, 于, 向, …) and would
# turn 我和医生说 into nonsense.
_SURNAMES = (
    "欧阳|司马|诸葛|上官|东方|皇甫|尉迟|公孙|慕容|令狐|"
    "王|李|张|刘|陈|杨|黄|赵|吴|周|徐|孙|马|朱|胡|郭|何|高|林|罗|郑|梁|谢|宋|唐|许|韩|冯|邓|曹|彭|曾|肖|田|董|袁|潘|"
    "于|蒋|蔡|余|杜|叶|程|苏|魏|吕|丁|任|沈|姚|卢|姜|崔|钟|谭|陆|汪|范|金|石|廖|贾|夏|韦|付|白|邹|孟|熊|秦|邱|"
    "江|尹|薛|闫|段|雷|侯|龙|史|陶|黎|贺|顾|毛|郝|龚|邵|万|钱|严|覃|武|戴|莫|孔|汤|温|康|施|牛|樊|葛|邢|"
    "安|齐|易|乔|伍|庞|颜|倪|庄|聂|章|鲁|岳|翟|殷|詹|申|欧|耿|关|兰|焦|俞|左|柳|甘|祝|包|宁|尚|符|舒|阮|柯|纪|梅|"
    "童|凌|毕|季|裴|霍|涂|苗|谷|盛|曲|翁|冉|骆|蓝|游|辛|靳|柴|蒙|鲍|华|喻|祁|蒲|滕|屈|饶|牟|艾|尤|"
    "阳|穆|卓|古|吉|缪|简|项|芦|麦|褚|娄|窦|戚|岑|景|党|宫|费|卜|冷|晏|席|卫|米|柏|宗|瞿|桂|佟|"
    "臧|闵|苟|邬|卞|姬|仇|栾|隋|刁|沙|荣|巫|寇|桑|郎|甄|丛|仲|虞|敖|巩|佘|苑|迟|邝"
)
_TITLES = (
    "科长|副科长|处长|副处长|局长|副局长|主任|副主任|所长|副所长|站长|队长|副队长|组长|经理|书记|部长|院长|校长|老师|"
    "医生|大夫|护士|警官|民警|警员|队员|师傅|干部|股长|行长|会计|专员|助理|同志|先生|女士|小姐|大姐|大哥|阿姨|叔叔"
)
# 张科长 / 欧阳主任 → 某科长; a title is what marks the character before it as a surname.
_SURNAME_TITLE = re.compile(rf"(?:{_SURNAMES})(?={_TITLES})")
# 李某某 / 王某 (already half-anonymised by the citizen) → 某某.
_SURNAME_MOU = re.compile(rf"(?:{_SURNAMES})某某?")
# 我叫王小明 / 名叫李四 / 姓张 → 我叫某某 / 名叫某某 / 姓某: what follows these words is a name.
_CALLED = re.compile(
    r"(我叫|名叫|叫做|名字叫|名字是|姓名是|姓名)(?![了过着他她你人车号住醒])[\s:：]*[\u4e00-\u9fff·]{1,4}"
)
_SURNAME_IS = re.compile(rf"(姓)(?:{_SURNAMES})")
# 工号1234 / 警号 012345 / 编号A123: staff numbers identify a person as well as a name does.
_STAFF_NO = re.compile(r"(工号|警号|编号|胸牌号?|执法证号?)[\s:：]*[A-Za-z0-9\-]{2,}")
# What masking leaves of a number (138****5678, 420***********1234, +86 138 **** 5678, 139.****.4321): drop the
# rest of it too, with whatever separators masking kept.
_MASKED_NUMBER = re.compile(rf"(?:(?:\+|00)?86{SEPARATOR})?[0-9Xx]*(?:{SEPARATOR}\*){{3,}}{SEPARATOR}[0-9Xx]*")


def scrub_text(text: str, names: Iterable[str | None] = ()) -> str:
    """`text` without phone/ID numbers, staff numbers, the given names and the usual name patterns."""
    out = mask_text(text)
    out = _MASKED_NUMBER.sub(REMOVED, out)
    # Longest first, so 王小明 goes before a separately listed 王小 could leave 明 behind.
    for name in sorted({n.strip() for n in names if n and n.strip()}, key=len, reverse=True):
        out = out.replace(name, "某某")
    out = _STAFF_NO.sub(lambda m: m.group(1) + REMOVED, out)
    out = _CALLED.sub(lambda m: m.group(1) + "某某", out)
    out = _SURNAME_IS.sub(r"\1某", out)
    out = _SURNAME_MOU.sub("某某", out)
    out = _SURNAME_TITLE.sub("某", out)
    return out
