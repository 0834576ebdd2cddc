"""Hand-written complaints, one by one, as (text, category, unit, named).

`HANDWRITTEN_TEST` goes only into test.jsonl and shares no sentence with the generator's banks: it is the
part of the held-out set that no template produced. `HANDWRITTEN_TRAIN` adds a few long, dialect-heavy or
oddly structured messages that templates do not produce.
"""

from __future__ import annotations

HANDWRITTEN_TRAIN: list[tuple[str, str, str | None, bool]] = [
    ("我克车管所换驾照，窗口的人硬是不理我，玩了半个小时手机，搞么事嘛", "discipline", "cgs", True),
    ("伢上学的事跑了五趟学校，学校叫我找教育局，教育局叫我找学校，到底归哪个管", "obstruction", "jyj", True),
    ("提公积金要我开一堆证明 开完了又说格式不对 冇得一次说清楚的", "obstruction", "gjj", False),
    ("我屋里老人办退休，社保窗口那个男的说话蛮冲，老人家听不清他就吼", "attitude", "rsj", True),
    ("报销医药费的单子交上去两个月了冇得消息，打电话也冇人接", "access", "ybj", False),
    ("城管把我爸的三轮车拖走了，也不说么样才能拿回来，连个单子都冇得", "abuse", "cgj", True),
    ("在办税大厅代开发票，排了一上午，后面来个熟人直接进去办了", "corruption", "swj", True),
    ("婚姻登记处的人说我们照片不合格，外面照相馆拍的就合格，一张三十块，肯定有猫腻", "corruption", "mzj", True),
    ("想问下宅基地审批现在要哪些材料，村里说的和网上写的不一样", "other", "zrj", False),
    ("开奶茶店办个食品经营许可证，来来回回改了六次材料，每次就指出一个问题", "obstruction", "scj", False),
    (
        "上周去派出所给孩子上户口 民警说今天系统坏了 第二天去又说人不在 第三天去说要出生证明原件 早说啊",
        "obstruction",
        "gaj",
        True,
    ),
    ("工厂半夜偷排污水，整条河都是臭的，举报了好几次，环保局来了转一圈就走", "obstruction", "sthj", True),
    ("出租车司机绕路还骂人，投诉到运管，说查实了会处理，然后就冇下文了", "obstruction", "jtj", True),
    ("物业乱收停车费，找住建局，住建局说物业收费归发改委管", "obstruction", "zjj", True),
    ("打疫苗的地方护士一直在聊天，叫号叫得人都听不见", "discipline", "wjw", False),
    ("房产证办了一年还冇拿到，问就说在审核，别人托关系的一个星期就拿了", "corruption", "bdc", False),
    ("在市民之家办营业执照，工作人员把我的名字输错了，执照印出来又要重新办", "incompetence", "zwfw", True),
    ("不动产登记中心那个收件的，我问了三个问题她三个都答不上来，还说你去问别人", "incompetence", "bdc", True),
    ("交警在路口拦车，不查证件直接罚款五十，不给票", "abuse", "cgs", True),
    ("学校要求每个学生交三百块的资料费，说是自愿，不交的孩子在班上被点名", "abuse", "jyj", False),
]

HANDWRITTEN_TEST: list[tuple[str, str, str | None, bool]] = [
    # explicit names, formal and informal
    ("市不动产登记中心3号窗口的工作人员上班时间一直在打电话聊天，让我们站着等", "discipline", "bdc", True),
    ("房管局的窗口说我的购房合同复印件不行，要原件，原件交给银行了，让我自己想办法", "obstruction", "bdc", True),
    ("车管所大厅的导办员对老年人很不耐烦，我爸问怎么填表被她凶了一顿", "attitude", "cgs", True),
    ("公积金中心审核贷款要我补的材料一次比一次多，已经第四次了", "obstruction", "gjj", True),
    ("人社局劳动监察接到欠薪投诉后三个月都没有动静，工人们还在等工钱过年", "obstruction", "rsj", True),
    ("医保局窗口的大姐把我的报销单扔回来说字写得太丑看不清", "attitude", "ybj", True),
    ("城管执法的时候抢了我的秤，还推我老婆", "abuse", "cgj", True),
    ("派出所户籍室下午五点没到就关门了，门口贴的是五点半下班", "discipline", "gaj", True),
    ("税务局的专管员说我的账有问题，介绍他朋友的财务公司帮我做，一年八千", "corruption", "swj", True),
    ("卫健委投诉电话打了一个星期都是忙音", "access", "wjw", True),
    ("教育局招生办说我家的房子不在学区，可是隔壁单元的孩子都划进去了，问原因说不清楚", "incompetence", "jyj", True),
    ("生态环境局对我们小区旁边的搅拌站扬尘视而不见，举报了十几次", "obstruction", "sthj", True),
    ("民政局低保评审的时候，村干部的亲戚开着小车也评上了", "corruption", "mzj", True),
    ("规划局批的图纸和实际盖的楼完全不一样，问他们说已经验收了", "abuse", "zrj", True),
    ("交通局的执法人员在高速口把我的货车扣了三天，不说原因", "abuse", "jtj", True),
    ("市场监管局的人到我店里检查，没穿制服也没出示证件，直接拍照说要罚款", "abuse", "scj", True),
    ("住建局对我们小区的烂尾楼一拖再拖，三年了没有一个明确的答复", "obstruction", "zjj", True),
    ("政务大厅综合窗口的小伙子不会用系统，折腾了一个小时还是把我的材料退回来了", "incompetence", "zwfw", True),
    # only the service, no unit name
    ("驾照到期了去换个证，体检表交上去说照片背景不对，旁边照相馆拍的就可以，二十五一张", "corruption", "cgs", False),
    ("给小孩办入学，材料交了三遍，每次都说缺点东西", "obstruction", "jyj", False),
    ("离职后想把住房公积金取出来，等了两个多月钱还没到账，电话也没人接", "access", "gjj", False),
    ("申请工伤认定的时候，经办的人说我这个不算工伤，连材料都不收", "obstruction", "rsj", False),
    ("异地就医备案的电话一直打不通，网上也办不了", "access", "ybj", False),
    ("二手房过户窗口的人中午十一点就不收件了，说下午再来，下午来又说号满了", "access", "bdc", False),
    ("办身份证的时候拍照的那个人嫌我动作慢，一直催一直骂", "attitude", "gaj", False),
    ("在路边卖自己种的菜，几个穿制服的把菜全倒进垃圾车里了", "abuse", "cgj", False),
    ("代开发票的窗口只有一个人，还在玩手机，后面排了二十多个", "discipline", "swj", False),
    ("出生医学证明上孩子的名字打错了一个字，去改要我们提供一大堆证明", "obstruction", "wjw", False),
    ("申请低保交了材料半年，问进度都说不知道", "obstruction", "mzj", False),
    ("宅基地建房审批交上去一年多了，负责的人换了三个，每个都说要重新交", "obstruction", "zrj", False),
    ("工厂每天晚上排黑烟，熏得我们不敢开窗，打电话投诉说会去看看，一直没人来", "obstruction", "sthj", False),
    ("办网约车运输证，考试过了三个月证还没发下来", "obstruction", "jtj", False),
    ("注册公司名称核准被驳回五次，每次理由都不一样", "incompetence", "scj", False),
    ("小区物业把公共维修资金乱用，业主申请查账没人受理", "obstruction", "zjj", False),
    ("排队叫号的屏幕坏了一上午，大家只能站着干等，也没人出来解释", "access", "zwfw", False),
    # dictated, dialect, typos, traditional characters, emoji, numbers
    (
        "喂喂 就是那个 我前天去那个车管所 换驾照嘛 然后那个窗口的 一直在刷手机 根本不理人 我等了四十分钟 你们管不管",
        "discipline",
        "cgs",
        True,
    ),
    ("我克派出所迁户口 那个民警硬是不给我办 说要我屋里所有人都到场 搞么事嘛", "obstruction", "gaj", True),
    ("公基金提取一直不到帐，打电话过去态度还很差😡😡", "attitude", "gjj", False),
    ("我在不動產登記中心辦房產證，工作人員態度非常惡劣，還罵人", "attitude", "bdc", True),
    ("社保卡補辦了兩個月還沒拿到，窗口說系統問題", "obstruction", "rsj", False),
    ("12号窗口的女的，办个居住证要了我200块钱，说是加急费，没给发票！！！", "corruption", "gaj", False),
    ("🙄🙄🙄城管又来收保护费了，不给就说我占道", "corruption", "cgj", True),
    ("医院收费处多收了我三百多，找他们退说找卫健委，卫健委说找医院", "obstruction", "wjw", False),
    # negation and several units in one message
    ("不是车管所的事，是派出所开无犯罪证明拖了一个月", "obstruction", "gaj", True),
    ("我要说的不是房管局的问题，是公积金中心不给我办贷款，一直说额度没了", "obstruction", "gjj", True),
    ("派出所那边挺快的，可是拿着户口本去教育局给孩子报名，被退回来三次", "obstruction", "jyj", True),
    ("税务局已经开好完税证明了，不动产那边还是说缺材料", "obstruction", "bdc", True),
    ("这事跟城管没关系，环保局收了饭店的钱，油烟一直不管", "corruption", "sthj", True),
    # suggestions, questions, no unit
    ("建议车管所在周末开放一个窗口办换证", "other", "cgs", True),
    ("请问提取公积金可以在手机上办吗", "other", "gjj", False),
    ("希望政务服务中心多放几个充电的地方", "other", "zwfw", True),
    ("孩子入学需要准备哪些材料，能不能一次性告诉我们", "other", "jyj", False),
    ("我不知道该找哪个部门，谁能告诉我一下", "other", None, False),
    ("你们这个平台真的有用吗", "other", None, False),
    ("有些公务员拿着工资不干活", "discipline", None, False),
]
