"""The demo city's words: complaint texts, supervisors' answers, questions and reasons, all invented.

Every text is written for the demo (no real person, case or number); each complaint names its unit the way
citizens do (an alias or a service word) so the classifier's record in the console agrees with the label.
Phone numbers use the 138-0000 range so masking shows without looking like anyone's number.
"""

from __future__ import annotations

from typing import NamedTuple


class Complaint(NamedTuple):
    unit: str | None  # None: the classifier is left unsure (the triage desk)
    category: str
    text: str
    window: str | None = None


# One complaint per line reads like the table it is; the formatter would spread each over five lines.
# fmt: off
COMPLAINTS: tuple[Complaint, ...] = (
    # 市政务服务中心
    Complaint("zwfw", "access", "周一上午九点去市民之家办营业执照，综合窗口一直没人，取了号等了一个多小时也不叫号，问导办台说工作人员开会去了。", "6"),
    Complaint("zwfw", "discipline", "政务服务中心二楼的窗口工作人员上班时间一直在刷抖音，我在窗口前站了五分钟她都没抬头。", "12"),
    Complaint("zwfw", "obstruction", "在办事大厅办一窗通办，材料第一次说齐了，第二次去又说要补一份证明，一次性告知怎么就做不到？", "3"),
    Complaint("zwfw", "attitude", "市民之家帮办代办窗口的工作人员说话很冲，我问了两遍怎么填表，她直接说“看不懂就别来办”。", "8"),
    Complaint("zwfw", "other", "建议政务大厅中午也安排窗口轮班，上班族只有中午有空，来了发现全部窗口都暂停服务。"),
    # 不动产登记中心
    Complaint("bdc", "attitude", "昨天上午在不动产登记中心3号窗口办房产证，工作人员态度很差，对我大吼大叫，问一句就不耐烦。", "3"),
    Complaint("bdc", "obstruction", "二手房过户在不动产中心跑了四趟，每次都说缺一样材料，从来不一次说清楚，窗口之间还互相推。", "5"),
    Complaint("bdc", "corruption", "办抵押登记时窗口旁边有人说交八百块钱“加急费”就能当天出证，说是跟里面的人打过招呼了，这是不是中介勾结？"),
    Complaint("bdc", "access", "不动产登记中心预约系统连续一周都约不上，现场去了又说必须预约，老人根本不会操作手机。"),
    Complaint("bdc", "incompetence", "房产证上的面积登记错了，去登记中心更正，工作人员说不清楚流程，前后三个人三种说法。", "2"),
    Complaint("bdc", "discipline", "下午三点多去不动产登记中心查档，5号窗口的工作人员趴在桌上睡觉，叫了两声才起来。", "5"),
    Complaint("bdc", "obstruction", "交房即交证说了半年，房管局那边一直拖着不给办，打电话问每次都说再等等，也不说原因。"),
    # 公安局
    Complaint("gaj", "obstruction", "给孩子落户口，派出所户籍室让我去街道开证明，街道说不需要这个证明，两边踢皮球跑了三趟。"),
    Complaint("gaj", "attitude", "在出入境办港澳通行证，工作人员嫌我照片不合格，态度恶劣，还把材料直接扔回来。", "2"),
    Complaint("gaj", "access", "户籍科周六说有值班，结果去了大门锁着，门口也没有任何告示，白跑一趟。"),
    Complaint("gaj", "discipline", "去派出所开无犯罪记录证明，值班民警一边打游戏一边让我等着，等了四十分钟。"),
    Complaint("gaj", "incompetence", "办身份证换领，户籍窗口把我名字的生僻字录错了，新证拿到手才发现，又要重新办。"),
    # 车管所
    Complaint("cgs", "corruption", "今天上午在车管所换驾照，窗口工作人员暗示我塞红包才给办，不给好处费就一直拖着不办。", "4"),
    Complaint("cgs", "attitude", "车管所办行驶证补办的窗口工作人员爱答不理，我问在哪里拍照她翻了个白眼说自己看。", "7"),
    Complaint("cgs", "access", "车管所上午十点半就说今天的号发完了，门口黄牛却在卖号，五十块一个。"),
    Complaint("cgs", "abuse", "在交警大队处理违章，明明已经交过罚款了，系统里还显示没处理，工作人员不查就让我再交一次。"),
    Complaint("cgs", "obstruction", "车辆年检在车管所被要求先去开一个证明，证明开回来又说格式不对，来回跑了三次。"),
    # 人社局
    Complaint("rsj", "obstruction", "办退休手续，社保局说档案里少一页招工表，让我自己去原单位找，原单位早就改制了，谁也不管。"),
    Complaint("rsj", "attitude", "人社局劳动监察大队接待的人听我说拖欠工资，说“这种事多了，你慢慢等吧”，就把我打发走了。"),
    Complaint("rsj", "access", "社保中心的咨询电话打了一整天都没人接，网上留言一周也没回复。"),
    Complaint("rsj", "incompetence", "社保转移接续问了三个窗口三种说法，有说要回原籍办的，有说网上就能办的，到底听谁的？", "9"),
    Complaint("rsj", "corruption", "工伤认定拖了三个月，经办人私下说找个人“意思意思”就快了，我觉得这是变相要好处。"),
    # 医保局
    Complaint("ybj", "obstruction", "异地就医备案在医保局办了两次都没成功，窗口说系统问题让我回去等电话，两个星期没人打来。"),
    Complaint("ybj", "attitude", "去医保中心报销门诊慢特病的费用，工作人员训斥我票据贴得不整齐，当着很多人的面很难堪。", "1"),
    Complaint("ybj", "incompetence", "医保报销的金额算错了，少报了一千多，医保局窗口的人自己也说不清楚是怎么算的。"),
    Complaint("ybj", "discipline", "医保中心下午四点就有窗口提前下班了，牌子上写的是五点半。"),
    # 住建局
    Complaint("zjj", "obstruction", "小区物业维修资金申请了半年，住建局物业办一直说在走流程，问卡在哪一步也不说。"),
    Complaint("zjj", "access", "去住建局反映烂尾楼的事，门卫不让进，说领导不在，让我们回去写材料寄过来。"),
    Complaint("zjj", "attitude", "公租房资格复审，住建局窗口的人说话夹枪带棒，说我们“占着便宜还挑三拣四”。"),
    Complaint("zjj", "other", "建议住建局在网站公开公租房轮候的排队顺序，现在谁也不知道自己排在第几位。"),
    # 市场监管局
    Complaint("scj", "obstruction", "注册个体户执照，市场监管局说经营场所证明不行，让去社区盖章，社区说从来不盖这个章。"),
    Complaint("scj", "incompetence", "打12315投诉超市卖过期食品，市场监管局的人说不归他们管，让我去找消协，消协又让我找他们。"),
    Complaint("scj", "abuse", "市场监管所的执法人员检查我的小店，没出示证件就说要罚款两千，也不开单子。"),
    Complaint("scj", "access", "食品经营许可证办理窗口一周只开两天，去了三次都赶上不开。"),
    # 税务局
    Complaint("swj", "obstruction", "在办税大厅代开发票，前面说可以网上办，网上办不了又让来现场，现场又让回去网上办。", "11"),
    Complaint("swj", "attitude", "税务局的工作人员对老年人很不耐烦，我母亲问个税怎么申报，被说“这都不会还来问”。"),
    Complaint("swj", "discipline", "办税大厅叫号叫到我，窗口的人在和旁边同事闲聊，让我等他们聊完。", "4"),
    # 卫健委
    Complaint("wjw", "obstruction", "孩子的出生医学证明名字写错了，医院说要卫健委批，卫健委说医院能改，来回跑了好几趟。"),
    Complaint("wjw", "attitude", "打疫苗的预防接种门诊医生态度很凶，孩子哭了几声就被吼，家长问一句也不理。"),
    Complaint("wjw", "corruption", "健康证办理窗口说正常要等两周，交两百块“加急”当天能拿，问有没有收据说没有。"),
    # 教育局
    Complaint("jyj", "obstruction", "孩子入学划片有争议，教育局招生办让去学校问，学校让回教育局，学位的事到现在没有说法。"),
    Complaint("jyj", "abuse", "学校以校服费、资料费名义乱收费，向教育局反映后没人处理，还被学校老师点名批评。"),
    Complaint("jyj", "access", "教育局信访接待室门一直关着，电话没人接，转学的事不知道该找谁。"),
    Complaint("jyj", "other", "希望教育局把幼儿园补贴的申请流程公开在网上，现在都是家长之间口口相传。"),
    # 城管局
    Complaint("cgj", "abuse", "城管队员没收我摆摊的三轮车，不给任何凭据，还推搡我老伴，这是粗暴执法。"),
    Complaint("cgj", "access", "反映小区门口违章搭建三个月了，城管执法局一直说会来看，一次都没来过。"),
    Complaint("cgj", "attitude", "打电话给城管大队说渣土车夜里噪音扰民，接电话的人很不耐烦，说“你不睡别人也要干活”。"),
    Complaint("cgj", "discipline", "城管执法车停在路边，几个队员在车上抽烟打牌，占道经营就在旁边没人管。"),
    # 交通局
    Complaint("jtj", "obstruction", "办道路运输证，交通局运管处要求的材料清单和网上公布的不一样，多要了两样，跑了三趟。"),
    Complaint("jtj", "attitude", "客运站窗口工作人员对问路的老人大声呵斥，说“自己不会看牌子吗”。"),
    Complaint("jtj", "incompetence", "网约车从业资格证考试报名，交通运输局说的政策和窗口执行的不一样，谁也解释不清楚。"),
    # 自然资源和规划局
    Complaint("zrj", "obstruction", "宅基地审批在自然资源局压了八个月，每次问都说等会议研究，材料是齐的也不给个期限。"),
    Complaint("zrj", "corruption", "规划局的人暗示我请他吃饭，说规划许可“好商量”，不请就一直拖着。"),
    Complaint("zrj", "access", "自规局的窗口只在上午开，下午去了只有一个保安，说有事明天再来。"),
    # 公积金中心
    Complaint("gjj", "obstruction", "提取公积金还房贷，公积金中心说要开一个婚姻证明，我已经提供了结婚证还不行。"),
    Complaint("gjj", "attitude", "公积金贷款审批窗口的工作人员不耐烦，我问审批进度，她说“等着就行了问什么问”。", "2"),
    Complaint("gjj", "incompetence", "异地转移公积金，公积金管理中心的人不会操作新系统，让我过一周再来，结果一周后还是不会。"),
    # 民政局
    Complaint("mzj", "access", "婚姻登记处预约的是上午十点，到了说系统坏了，没有任何通知，请假白请了。"),
    Complaint("mzj", "obstruction", "给老人申请高龄补贴，民政局让先去社区，社区说要民政局的表，表又要社区盖章，转了一圈。"),
    Complaint("mzj", "attitude", "低保复核的时候民政局工作人员说话很难听，说“有手有脚的还吃低保”，我是残疾人。"),
    # 生态环境局
    Complaint("sthj", "obstruction", "附近工厂晚上偷排废气，向环保局反映了三次，每次都说去看过了没问题，可味道一直都有。"),
    Complaint("sthj", "incompetence", "小区楼下饭店油烟扰民，环保局说归城管，城管说归环保局，谁都不管。"),
    Complaint("sthj", "access", "生态环境局的投诉电话长期占线，网上平台提交后显示已受理，但一个月没有任何回复。"),
)
# fmt: on

# Reports that name no unit: the classifier is unsure and the triage desk (待分拣) decides.
UNSURE: tuple[Complaint, ...] = (
    Complaint(None, "obstruction", "办个证明跑了好多地方，每个地方都说不归他们管，到现在也不知道该找谁。"),
    Complaint(None, "attitude", "今天去办事，那个工作人员态度很差，说话阴阳怪气的。"),
    Complaint(None, "other", "你们这个平台反映了问题多久能有回复？上次的事情到现在还没有结果。"),
    Complaint(None, "access", "上周去办事一直找不到负责的人，电话也打不通。"),
    Complaint(None, "discipline", "有个部门的人上班时间在外面喝茶聊天，老百姓等着办事没人管。"),
    Complaint(None, "corruption", "听说办这个手续要找熟人打点，不打点就办不下来，是真的吗？"),
)

# The hot spot: several citizens about one window within a few days (the campaign office is alerted).
HOT_SPOT: tuple[Complaint, ...] = (
    Complaint("bdc", "attitude", "今天上午在不动产登记中心3号窗口办房产证，那个工作人员态度很差，还骂人。", "3"),
    Complaint("bdc", "attitude", "不动产登记中心3号窗口的工作人员对办事群众大呼小叫，态度恶劣，我亲眼看见。", "3"),
    Complaint("bdc", "obstruction", "不动产登记中心3号窗口让我跑了三趟都办不下来房产证，每次说法都不一样。", "3"),
    Complaint("bdc", "attitude", "我也是在不动产登记中心3号窗口，工作人员态度很差，问什么都说不知道。", "3"),
)

ANSWERS: dict[str, tuple[str, ...]] = {
    "access": (
        "经核查，反映情况属实。单位已调整窗口排班，午间设立轮值岗，并对当班负责人进行了批评教育。",
        "已督促该单位恢复预约系统并开通现场取号通道，老年人可由导办人员协助办理。",
        "已责成该单位在门口张贴值班安排并公布咨询电话，确保工作时间有人接待。",
    ),
    "attitude": (
        "经调取窗口录像核实，当事工作人员态度生硬属实，已责令其向您当面致歉，并调离窗口岗位学习一个月。",
        "已约谈窗口负责人，对当事人进行诫勉谈话，并在全单位开展服务规范培训。给您带来的不快，深表歉意。",
        "经核查，工作人员存在语气生硬问题，已批评教育并纳入季度考核，单位负责人已电话向您致歉。",
    ),
    "obstruction": (
        "经协调，您的事项已由单位安排专人一次性办结，并已修订材料清单，做到一次性告知。",
        "已督促相关部门明确牵头单位，实行首问负责，您的业务已于本周办理完毕。",
        "经核查，确有材料要求前后不一的情况，已对经办人批评教育，并将办事指南重新公示。",
    ),
    "corruption": (
        "已移交纪委监委核查，相关人员已停职接受调查，调查结果将依规处理。感谢您的监督。",
        "经核查，现场中介人员已被清理，窗口已张贴“不收任何加急费”告示，相关线索已移交纪检部门。",
    ),
    "discipline": (
        "经调取监控核实，当事人上班期间玩手机属实，已按规定通报批评并扣发当月绩效。",
        "已对该窗口人员进行诫勉谈话，单位已加强在岗巡查，每日公布巡查结果。",
    ),
    "incompetence": (
        "已安排业务骨干为您重新办理并更正信息，同时组织窗口人员业务培训，统一政策口径。",
        "经核实，系经办人业务不熟导致答复错误，已纠正并向您致歉，相关政策已统一解释口径。",
    ),
    "abuse": (
        "经核查，执法程序不规范，已责令退还暂扣物品，当事队员停岗培训，并向您赔礼道歉。",
        "已督促该单位全面清理收费项目，违规收取的费用将予以退还。",
    ),
    "other": (
        "感谢您的建议，相关单位已研究采纳，将于下月起在网站公开相关信息。",
        "您的意见已转交相关单位研究，具体改进措施将在官网公示。",
    ),
}

QUESTIONS: tuple[str, ...] = (
    "请问您是哪一天、大概几点去办理的？方便的话请说一下窗口号。",
    "请问当时接待您的工作人员有什么特征？比如男女、大概年龄。",
    "请问您提交的是哪一项业务？有没有拿到受理回执？",
)

CITIZEN_ANSWERS: tuple[str, ...] = (
    "是上周三上午十点左右，3号窗口。",
    "一位戴眼镜的男工作人员，四十岁左右。",
    "办的是过户登记，没给我回执。",
)

RETURN_REASONS: tuple[str, ...] = (
    "经核实，该事项不属于本单位职责，应由属地街道办理，请重新分派。",
    "反映内容涉及多个部门，请治庸办协调确定牵头单位。",
)

EXTENSION_REASONS: tuple[str, ...] = (
    "需调取近两周窗口录像并约谈多名工作人员，申请延期。",
    "涉及历史遗留问题，需与原单位协调档案，申请延期。",
    "需现场核查并征求相关部门意见，申请延期。",
)

REJECT_REASONS: tuple[str, ...] = (
    "反映的是邻里之间的民事纠纷，不属于治庸问责受理范围，建议通过人民调解或诉讼途径解决。",
    "反映的是企业内部管理问题，不涉及机关工作人员作风，建议向劳动监察部门反映。",
)

# Real-name reporters (invented): the console shows them masked; retention removes them.
REPORTERS: tuple[tuple[str, str], ...] = (
    ("刘女士", "13800001234"),
    ("陈先生", "13800005678"),
    ("张女士", "13800002468"),
    ("黄先生", "13800001357"),
)

OCCURRED_TEXTS: tuple[tuple[int, str], ...] = (
    (0, "今天上午"),
    (0, "今天下午"),
    (1, "昨天上午"),
    (1, "昨天下午"),
    (2, "前天"),
)
