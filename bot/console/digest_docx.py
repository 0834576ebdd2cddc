"""The weekly digest as a Word document (python-docx) the office prints for its Monday meeting: the narrative, the
ranking (units with enough cases), 查实率 and 问责人次 with the list of who was held to account (posts, never names),
what is overdue and escalated, the week's 查看身份, typical-case candidates. A4, 仿宋/宋体, page numbers.

Written by `flask --app bot digest --week W --docx FILE` and served to the office at `/console/digest/<week>.docx`.
Case numbers appear (the paper is the office's); complaint text never does.
"""

from __future__ import annotations

import io
from datetime import datetime
from datetime import timedelta

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm
from docx.shared import Pt

from handlers import digest as figures
from handlers.accountability import VERDICTS
from handlers.config import CityConfig
from handlers.masking import mask_text

BODY_FONT = "仿宋"
HEAD_FONT = "黑体"
TITLE_FONT = "宋体"


def _font(run, name: str, size: float, bold: bool = False) -> None:  # type: ignore[no-untyped-def]
    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), name)


def _para(doc, text: str, *, size: float = 14, font: str = BODY_FONT, bold: bool = False,  # type: ignore[no-untyped-def]
          align: int | None = None, indent: bool = True) -> None:  # fmt: skip
    p = doc.add_paragraph()
    if align is not None:
        p.alignment = align
    if indent:
        p.paragraph_format.first_line_indent = Pt(size * 2)
    p.paragraph_format.space_after = Pt(4)
    _font(p.add_run(text), font, size, bold)


def _page_number(section) -> None:  # type: ignore[no-untyped-def]
    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(p.add_run("第 "), BODY_FONT, 10)
    for code in ("begin", None, "end"):
        run = p.add_run()
        if code is None:
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = "PAGE"
            run._r.append(instr)
        else:
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), code)
            run._r.append(fld)
    _font(p.add_run(" 页"), BODY_FONT, 10)


def _table(doc, header: list[str], rows: list[list[str]]) -> None:  # type: ignore[no-untyped-def]
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = ""
        _font(cell.paragraphs[0].add_run(text), HEAD_FONT, 10.5)
    for values in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, values, strict=True):
            cell.text = ""
            _font(cell.paragraphs[0].add_run(text), BODY_FONT, 10.5)
    doc.add_paragraph()


def paper(d: figures.Digest, city: CityConfig, *, sent_at: datetime | None, made_at: datetime) -> bytes:
    """The Monday paper for digest `d` as .docx bytes."""
    tz = city.tz
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.6)
    section.top_margin, section.bottom_margin = Cm(3.0), Cm(2.5)
    _page_number(section)
    doc.core_properties.title = f"{city.city.name}治庸问责周报 {d.week}"

    span = f"{d.start.astimezone(tz):%Y年%m月%d日}—{(d.end - timedelta(seconds=1)).astimezone(tz):%m月%d日}"
    _para(doc, f"{city.city.name}治庸问责周报", size=22, font=TITLE_FONT, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER,
          indent=False)  # fmt: skip
    when = f"已于 {sent_at.astimezone(tz):%Y-%m-%d %H:%M} 发送" if sent_at else f"按 {made_at.astimezone(tz):%Y-%m-%d %H:%M} 的数据生成（未发送）"  # fmt: skip
    _para(doc, f"（{d.week}，{span}；{when}）", size=12, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)

    _para(doc, "一、本周概况", font=HEAD_FONT, indent=False)
    for line in d.narrative or ["（无）"]:
        _para(doc, line)

    _para(doc, "二、单位排名", font=HEAD_FONT, indent=False)
    _para(
        doc,
        f"收到群众反映 {d.min_cases} 件及以上的单位参与排名，依次比较按时签收率（响应率）、按时答复率（办结率）、满意率。",
    )
    _table(doc, ["名次", "单位", "收到", "响应率", "办结率", "满意率", "超期"],
           [[str(i), city.unit_name(s.unit), str(s.received), figures.pct(s.response_rate),
             figures.pct(s.completion_rate), figures.pct(s.satisfaction_rate), str(s.overdue)]
            for i, s in enumerate(d.ranked, start=1)] or [["—", "本期没有达到件数的单位", "", "", "", "", ""]])  # fmt: skip
    few = [s for s in d.unranked if s.received > 0]
    if few:
        _para(doc, "未参与排名（件数不足）：" + "、".join(f"{city.unit_name(s.unit)}（{s.received}件）" for s in few))

    _para(doc, "三、查实与问责", font=HEAD_FONT, indent=False)
    found = "、".join(f"{VERDICTS[v]} {d.findings[v]} 件" for v in VERDICTS if d.findings.get(v)) or "无"
    _para(doc, f"本期录入查实情况 {sum(d.findings.values())} 件（{found}），查实率 {figures.pct(d.substantiation_rate)}；"
               f"问责 {d.held_count} 人次。")  # fmt: skip
    if d.held:
        _table(doc, ["工单号", "单位", "岗位/职务", "问责方式"],
               [[h.number, city.unit_name(h.unit), h.post or "—", figures.describe_held(h)] for h in d.held])  # fmt: skip

    _para(doc, "四、超期与督办", font=HEAD_FONT, indent=False)
    _para(doc, f"超期未办结 {len(d.overdue)} 件：{'、'.join(d.overdue) or '无'}。")
    _para(doc, f"督办中 {len(d.escalated)} 件：{'、'.join(d.escalated) or '无'}。")

    _para(doc, "五、查看反映人身份（双人审批）", font=HEAD_FONT, indent=False)
    if d.reveals:
        for r in d.reveals:
            _para(doc, f"{r.number}：申请人 {r.requested_by}，批准人 {r.approved_by}，理由：{mask_text(r.reason)}")
    else:
        _para(doc, "本期无。")

    _para(doc, "六、典型案例候选", font=HEAD_FONT, indent=False)
    _para(doc, f"正面：{'、'.join(d.typical_good) or '无'}；反面：{'、'.join(d.typical_bad) or '无'}。")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
