"""Twenty-odd conversations as citizens hold them, run through the webhook in safe mode: how many turns to a case
number (or to the right answer when no case is right), and what the system understood.

Each conversation is written as a person talks — corrections, fear, praise, questions, traditional characters,
numbers in words — not as the prompts ask. Run it on any checkout to compare before and after:

    .venv/bin/python bench/conversations.py [--json FILE] [--show NAME-PART]

It builds a fresh app on a temporary SQLite database with a fixed clock (Friday 27 November 2026, 10:00 Beijing).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bot import create_app  # noqa: E402
from storage import migrate  # noqa: E402
from storage.db import make_engine  # noqa: E402
from tests.conftest import Clock  # noqa: E402
from tests.conftest import WeChat  # noqa: E402
from tests.conftest import make_settings  # noqa: E402

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Conversation:
    """What the person says first (in order, whatever the bot asks), and what they would answer afterwards."""

    name: str
    turns: tuple[str, ...]  # a turn starting with "@SCAN " is a QR scan of that scene
    want: str  # a good outcome: "case:<unit>:<category>", "kind:<kind>:<unit>", "none" (no case); "+" between two
    when: str = "记不清"  # their answer when asked when it happened
    unit: str = "不确定"  # their answer when asked which unit
    detail: str = "就是这些"  # their answer to "能再具体一点吗"


# After the scripted turns, the person answers whatever is asked, as a person would (first match wins).
ANSWERS = (
    (r"哪里做得不好|哪里不满意", lambda c: "态度不好"),
    (r"能再具体|具体说说", lambda c: c.detail),
    (r"什么时候发生|是哪天发生|没看明白时间", lambda c: c.when),
    (r"要分成两件", lambda c: "1"),
    (r"您反映的是“.+”吗", lambda c: "是"),
    (r"反映的是哪个单位|是哪个单位？", lambda c: c.unit),
    (r"匿名还是实名|回复 1（匿名）", lambda c: "1"),
    (r"有照片|材料，现在可以|还有材料", lambda c: "没有"),
    (r"核对|“确认”提交", lambda c: "确认"),
    (r"说完了", lambda c: "说完了"),
    (r"想：\s*1\. 反映问题|您是想", lambda c: "1"),
)
MAX_TURNS = 12


CONVERSATIONS = (
    Conversation(
        "elderly, dictated, no punctuation",
        ("我是退休的老同志今天上午去社保局办养老金认证那个窗口的小伙子一直玩手机叫了他好几声都不理我",),
        "case:rsj:discipline",
    ),
    Conversation(
        "correction of the unit mid-way",
        ("上周三在房管局办过户，窗口说材料不全让我回去补，补了三次还是不行", "不是房管局，是税务局"),
        "case:swj:obstruction",
    ),
    Conversation(
        "a correction of the time at the read-back",
        ("昨天在车管所换驾照，工作人员态度很凶还摔我的材料", "没有", "1", "时间是前天"),
        "case:cgs:attitude",
    ),
    Conversation(
        "traditional characters throughout",
        ("昨天在派出所辦戶口，民警說系統壞了讓我明天再來，結果第二天又說人不在", "沒有", "匿名", "確認"),
        "case:gaj:obstruction",
    ),
    Conversation(
        "fear first, then the report",
        ("我不敢说，怕被穿小鞋", "我们小区旁边的工地晚上一直施工，找住建局投诉了好几次都没人管"),
        "case:zjj:obstruction",
        when="上个月",
    ),
    Conversation(
        "a bribe, hinted",
        ("在不动产登记中心办抵押登记，窗口的人说材料有问题，后来有人提醒我要意思意思才能快点办",),
        "case:bdc:corruption",
        when="上周二",
    ),
    Conversation(
        "phone number in words, real name",
        (
            "今天上午在公积金中心提取公积金，工作人员说我的材料不对又说不清哪里不对",
            "没有",
            "实名",
            "王芳 幺三八零七一五六六七八",
        ),
        "case:gjj:incompetence",
    ),
    Conversation(
        "praise of a window", ("市民之家3号窗口的小刘办事特别耐心，一次就帮我办好了，点个赞",), "kind:praise:zwfw"
    ),
    Conversation(
        "sarcasm is a complaint", ("你们医保局效率真高啊，报销单交上去三个月了还没消息",), "case:ybj:obstruction"
    ),
    Conversation(
        "mixed praise and complaint",
        ("教育局招生办的小姑娘很热情，可是她们科长直接把我的材料扔回来，说不归他们管",),
        "case:jyj:attitude",
        when="上周五",
    ),
    Conversation("a suggestion", ("建议政务服务中心周六也开几个窗口，上班族平时请不了假",), "kind:suggestion:zwfw"),
    Conversation("a question about how to get something done", ("请问换驾照需要带什么材料？在哪办？",), "none"),
    Conversation("small talk", ("今天天气怎么样",), "none"),
    Conversation("an insult with no report", ("你们这些当官的都是废物",), "none"),
    Conversation("asking about a report never filed", ("我上次反映的那个事怎么样了",), "none"),
    Conversation(
        "a window QR, then the story",
        ("@SCAN unit=cgs;window=2", "等了一个小时没人叫号，窗口的人在后面聊天"),
        "case:cgs:discipline",
        when="今天上午",
    ),
    Conversation(
        "thin report, one clarification",
        ("办个证跑了五趟还没办成",),
        "case:bdc:obstruction",
        when="昨天",
        detail="在不动产登记中心办房产证，每次都说材料不全",
    ),
    Conversation(
        "cancel then restore", ("昨天在城管大队，他们把我的三轮车拖走了也不开单子", "取消", "恢复"), "case:cgj:abuse"
    ),
    Conversation(
        "two units, two grievances",
        ("在社保局办退休，社保局让我去医保局开证明，医保局窗口的人态度很差还骂人",),
        "case:rsj:obstruction+case:ybj:attitude",
        when="上周一",
    ),
    Conversation(
        "a future day corrected",
        ("明天我要去民政局办低保", "不对，是昨天去民政局办低保，工作人员说要送点东西才给批"),
        "case:mzj:corruption",
    ),
    Conversation(
        "a rating QR, poor, with the reason",
        ("@SCAN rate=scj;window=1", "2", "窗口的人一直在打电话，让我等了半个小时"),
        "kind:review:scj",
    ),
    Conversation(
        "environment complaint in plain words",
        ("厂里半夜偷偷排污水，整条河都是臭的，举报给环保局好几次了没人来",),
        "case:sthj:obstruction",
        when="上周",
    ),
)


def run_one(app, wechat: WeChat, db_url: str, conv: Conversation, openid: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    replies: list[str] = []
    transcript: list[tuple[str, str]] = []
    turns_to_case = None
    said = list(conv.turns)
    i = 0
    while i < MAX_TURNS and turns_to_case is None:
        if i < len(said):
            turn = said[i]
        else:  # answer what was asked, or stop when nothing was asked
            last = replies[-1] if replies else ""
            turn = next((answer(conv) for pattern, answer in ANSWERS if re.search(pattern, last)), None)
            if turn is None:
                break
        i += 1
        if turn.startswith("@SCAN "):
            reply = wechat.event("SCAN", openid, key=turn[len("@SCAN ") :])
        else:
            reply = wechat.text(turn, openid)
        replies.append(reply or "")
        transcript.append((turn, reply or ""))
        if re.search(r"ZY\d{10}", reply or ""):
            turns_to_case = i
    engine = make_engine(db_url)
    with engine.connect() as conn:
        cols = "kind, respondent_unit, category" if _has_kind(conn) else "'complaint', respondent_unit, category"
        found = conn.execute(sa.text(f"SELECT {cols} FROM cases ORDER BY id")).all()
    engine.dispose()
    # Every case the conversation left, in order ("+" between two): a split report is two cases.
    got = (
        "+".join(
            f"case:{unit}:{category}" if kind in ("complaint", None) else f"kind:{kind}:{unit}"
            for kind, unit, category in found
        )
        or "none"
    )
    return {"name": conv.name, "turns": i, "turns_to_case": turns_to_case, "want": conv.want,
            "got": got, "right": got == conv.want, "last_reply": replies[-1][:60], "transcript": transcript}  # fmt: skip


def _has_kind(conn) -> bool:  # type: ignore[no-untyped-def]
    return "kind" in {c["name"] for c in sa.inspect(conn).get_columns("cases")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", dest="json_out", default=None)
    parser.add_argument("--show", default="", help="print the turns of the conversations whose name contains this")
    args = parser.parse_args()
    results = []
    for n, conv in enumerate(CONVERSATIONS):
        with tempfile.TemporaryDirectory() as tmp:
            db_url = f"sqlite:///{Path(tmp) / 'talk.db'}"
            migrate.upgrade(db_url)
            clock = Clock(NOW)
            app = create_app(make_settings(db_url), clock=clock)
            wechat = WeChat(app.test_client(), clock, app.extensions["zhiyong"].settings)
            results.append(run_one(app, wechat, db_url, conv, f"o_talk_{n}"))
            app.extensions["zhiyong"].db.dispose()
    width = max(len(r["name"]) for r in results)  # type: ignore[arg-type]
    for r in results:
        print(f"{r['name']:<{width}}  turns {r['turns']}  case at {r['turns_to_case'] or '-'}  "
              f"{'OK ' if r['right'] else 'NO '} want {r['want']:<28} got {r['got']}")  # fmt: skip
    for r in results:
        if args.show and args.show in str(r["name"]):
            print(f"--- {r['name']}")
            for said, reply in r["transcript"]:  # type: ignore[attr-defined]
                print(f"  市民: {said}\n  回复: {reply}")
    print(f"{sum(bool(r['right']) for r in results)} of {len(results)} understood as a person meant")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, ensure_ascii=False, indent=1), "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
