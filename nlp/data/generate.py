"""Writes the project's own labelled complaints: `train.jsonl` and `test.jsonl` next to this file.

Each line is {"text", "category", "unit", "named", "source"}: `unit` is a unit code from config.yaml or null
(nothing points at a unit), `named` says whether the text names the unit (formal name or informal alias) or
only implies it through the service. Texts are composed from hand-written frames and phrase banks with a
seeded RNG, then roughened the way real WeChat messages are (no punctuation from dictation, pinyin typos,
traditional characters, emoji, window numbers). The test split uses its own frames, behaviour phrases,
service phrasings and informal names, none of which the training split uses, plus hand-written messages, so
the held-out score measures generalisation rather than template recall.

Run: `.venv/bin/python -m nlp.data.generate` (deterministic; commit the output).
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

import zhconv

HERE = Path(__file__).resolve().parent
SEED = 20111
PER_CELL_TRAIN = 16  # examples per (unit, category) pair
PER_CELL_TEST = 4


@dataclass(frozen=True)
class UnitBank:
    """How citizens refer to one unit (by name) and to what they went there for (the service)."""

    names_train: Sequence[str]
    names_test: Sequence[str]
    tasks_train: Sequence[str]
    tasks_test: Sequence[str]
    staff: Sequence[str] = ()
    # Behaviour phrases that only make sense at this unit, by category (used by both splits, disjointly).
    special_train: dict[str, Sequence[str]] = field(default_factory=dict)
    special_test: dict[str, Sequence[str]] = field(default_factory=dict)


UNITS: dict[str, UnitBank] = {
    "zwfw": UnitBank(
        names_train=[
            "市民之家",
            "政务服务中心",
            "市政务服务中心",
            "政务中心",
            "行政服务中心",
            "办事大厅",
            "政务大厅",
            "市民之家二楼大厅",
            "咸宁市民之家",
            "市民之家的大厅",
            "政务服务大楼",
            "行政审批大厅",
            "便民服务中心",
        ],
        names_test=["市民中心", "政务服务大厅", "市民之家一楼"],
        tasks_train=[
            "办营业执照",
            "在综合窗口交材料",
            "取号办事",
            "办证照",
            "找帮办代办",
            "在一窗通办窗口办事",
            "在自助机上打证明",
            "办一网通办的事项",
            "给门面办证",
            "办个体工商户登记",
            "办刻章备案",
            "办企业开办",
            "打印社保缴费证明",
            "办各种证照的联办",
            "开店办手续",
        ],
        tasks_test=["交好几个部门的材料", "排队叫号办事", "办一件联办的事", "在综合受理窗口递材料"],
        staff=["导办员", "综合窗口的"],
        special_train={
            "access": ["取号机坏了也没人管，号都取不到", "叫号屏一直不动，窗口后面没人"],
            "other": ["大厅里的好差评器一直是坏的，建议修一下", "希望周六也开几个综合窗口"],
        },
        special_test={
            "access": ["取了号一看前面还有九十多个人，窗口只开了两个"],
            "other": ["建议大厅多放几把椅子，老人站不住"],
        },
    ),
    "bdc": UnitBank(
        names_train=[
            "不动产登记中心",
            "不动产中心",
            "房管局",
            "房产局",
            "房管所",
            "市不动产登记中心",
            "登记中心",
            "不动产那边",
            "不动产登记局",
            "房产登记中心",
            "不动产窗口",
            "房管部门",
        ],
        names_test=["不动产登记大厅", "房产交易中心", "咸安区不动产登记中心"],
        tasks_train=[
            "办房产证",
            "二手房过户",
            "办抵押登记",
            "注销抵押",
            "查房子的档案",
            "办不动产权证",
            "给新房上证",
            "办产权登记",
            "房子过户给儿子",
            "给房子加名字",
            "办房屋继承过户",
            "打印房产证明",
            "办预告登记",
            "离婚后房子分割过户",
            "拿房本",
        ],
        tasks_test=["给买的二手房办过户", "交房三年了还在等证", "银行贷款还清了去解押", "继承父母的房子"],
        staff=["登记窗口的", "收件窗口的"],
        special_train={
            "corruption": ["窗口说排到下个月，门口的中介说加八百当天就能出证", "要我找他们指定的代办公司才给收件"],
            "abuse": ["过户收了一笔说不清名目的服务费，也不给票", "多收了两百块工本费"],
        },
        special_test={
            "corruption": ["工作人员私下说找他表哥的中介两天就能拿证"],
            "abuse": ["让我交一个文件上根本没有的评估费"],
        },
    ),
    "gaj": UnitBank(
        names_train=[
            "派出所",
            "公安局",
            "户籍科",
            "户籍室",
            "出入境",
            "出入境管理局",
            "温泉派出所",
            "辖区派出所",
            "市公安局",
            "咸宁公安",
            "公安机关",
            "公安派出所",
            "警务室",
            "治安大队",
        ],
        names_test=["永安派出所", "公安分局", "出入境接待大厅", "咸安公安"],
        tasks_train=[
            "办身份证",
            "迁户口",
            "给小孩落户",
            "开无犯罪记录证明",
            "办护照",
            "办港澳通行证",
            "办居住证",
            "报警",
            "补办身份证",
            "户口迁移",
            "办临时身份证",
            "改名字",
            "开户籍证明",
            "办出国签证",
            "去台湾办通行证",
            "丢了钱包去报案",
        ],
        tasks_test=["身份证到期换新的", "孩子上户口", "去香港要签注", "被骗了去报案", "结婚后把户口迁过来"],
        staff=["民警", "警察", "辅警", "户籍民警"],
        special_train={
            "access": ["报警电话打过去说马上出警，等了两个小时都没来人", "户籍窗口中午十一点就收号了"],
            "abuse": ["民警把我推倒在地上，还说要拘留我", "没有任何手续就把我带走问话"],
            "obstruction": ["报了案一直不立案，问就是在调查"],
        },
        special_test={
            "access": ["出了事打110，一个半小时才来一个辅警"],
            "abuse": ["民警当着我孩子的面把我按在地上"],
            "obstruction": ["手机被骗了五万，报案三个月了连个回执都不给"],
        },
    ),
    "cgs": UnitBank(
        names_train=[
            "车管所",
            "交警支队",
            "交警大队",
            "车辆管理所",
            "驾管科",
            "市车管所",
            "交警",
            "交警支队车管所",
            "车管站",
            "交警部门",
            "车管所窗口",
            "交管部门",
            "咸安车管所",
        ],
        names_test=["车管分所", "交警队", "车管所考场", "咸宁车管所"],
        tasks_train=[
            "换驾照",
            "补驾照",
            "考科目二",
            "考科目三",
            "驾照到期换证",
            "给新车上牌",
            "车辆年检",
            "处理违章",
            "交罚单",
            "办行驶证",
            "车辆年审",
            "考驾照",
            "二手车过户",
            "选车牌号",
            "驾驶证审验",
            "电动车上牌",
            "处理交通事故",
            "驾照扣满12分去学习",
        ],
        tasks_test=["驾驶证满六年换证", "约科目一的考试", "摩托车上牌照", "处理电子眼拍的违章", "补办行驶证"],
        staff=["考官", "窗口民警", "交警"],
        special_train={
            "corruption": ["考科目二的时候考官暗示要给红包才让过", "教练说不给考官塞钱肯定挂"],
            "abuse": ["没违章也被开了罚单，申诉没人理", "一个违章被罚了两次"],
        },
        special_test={
            "corruption": ["驾校说每人交六百块打点考官，不然科目三过不了"],
            "abuse": ["停车两分钟就被贴了罚单，还扣了三分"],
        },
    ),
    "rsj": UnitBank(
        names_train=[
            "人社局",
            "社保局",
            "社保中心",
            "人力资源局",
            "劳动局",
            "劳动监察",
            "就业局",
            "社保大厅",
            "市人社局",
            "社保所",
            "人社部门",
            "社保窗口",
            "人力资源和社会保障局",
        ],
        names_test=["人社大厅", "社保经办中心", "劳动监察大队"],
        tasks_train=[
            "办退休手续",
            "领失业金",
            "做工伤认定",
            "讨要拖欠的工资",
            "申请劳动仲裁",
            "办社保卡",
            "转社保关系",
            "交养老保险",
            "评职称",
            "领人才补贴",
            "查养老金",
            "申请创业补贴",
            "投诉老板不签劳动合同",
            "灵活就业交社保",
            "办就业失业登记",
            "农民工讨薪",
        ],
        tasks_test=[
            "给我爸办退休",
            "老板欠了三个月工资去投诉",
            "工地上摔伤了申请工伤",
            "社保卡丢了补卡",
            "查养老金怎么算",
        ],
        staff=["经办员", "仲裁员", "监察员"],
        special_train={
            "obstruction": ["工伤认定材料交上去半年了没有结果", "拖欠工资投诉了三次，劳动监察一直说在调解"],
        },
        special_test={
            "obstruction": ["养老金少算了两年工龄，让我自己去原单位找档案，单位早倒闭了"],
        },
    ),
    "ybj": UnitBank(
        names_train=["医保局", "医保中心", "医疗保障局", "市医保局", "医保窗口", "医保部门", "医保所", "医保经办处"],
        names_test=["医保服务大厅", "医保经办窗口"],
        tasks_train=[
            "报销医药费",
            "办异地就医备案",
            "办医保卡",
            "申请门诊慢特病",
            "办慢性病卡",
            "转医保关系",
            "交城乡医保",
            "报特殊门诊的费用",
            "住院费用报销",
            "大病保险报销",
            "给新生儿办医保",
            "医保个人账户的钱用不了",
            "生育保险报销",
        ],
        tasks_test=["在武汉住院回来报销", "老人的慢病卡年审", "孩子的医保断缴了去补"],
        staff=["审核的"],
        special_train={
            "obstruction": ["住院报销的单子交了三个月还没打钱", "异地备案说要回老家开证明"],
        },
        special_test={
            "obstruction": ["报销材料被退回来四次，每次说缺的东西都不一样"],
        },
    ),
    "zjj": UnitBank(
        names_train=[
            "住建局",
            "建设局",
            "住建委",
            "物业办",
            "市住建局",
            "住建部门",
            "住建部门的人",
            "城建局",
            "住房城乡建设局",
            "建委",
        ],
        names_test=["住建局物业科", "建设主管部门"],
        tasks_train=[
            "投诉物业",
            "申请维修资金",
            "申请公租房",
            "申请廉租房",
            "反映烂尾楼",
            "做房屋安全鉴定",
            "反映开发商延期交房",
            "投诉工地夜间施工",
            "查商品房预售许可",
            "反映小区电梯老坏",
            "反映新房质量问题",
            "投诉物业乱收费",
            "申请人才公寓",
            "反映老旧小区改造",
        ],
        tasks_test=["小区电梯坏了想用维修基金", "排队等保障房", "买的楼盘停工一年了", "楼上装修把承重墙打了"],
        staff=["科长", "物业科的"],
        special_train={
            "obstruction": ["物业乱收费投诉了半年，住建局一直让我们自己跟物业协商", "烂尾楼的事去了十几次都说在研究"],
        },
        special_test={
            "obstruction": ["交房延期两年，找住建说归开发商管，找开发商说等政府协调"],
        },
    ),
    "scj": UnitBank(
        names_train=[
            "市场监管局",
            "工商局",
            "市监局",
            "质监局",
            "食药监",
            "市场监管所",
            "市场监管部门",
            "工商部门",
            "市场所",
            "市场监督管理所",
            "工商管理局",
        ],
        names_test=["市场监督管理局", "工商所"],
        tasks_train=[
            "注册公司",
            "办个体户执照",
            "办食品经营许可证",
            "投诉假货",
            "打12315投诉",
            "举报食品安全问题",
            "注册商标",
            "投诉超市价格",
            "变更营业执照",
            "投诉餐馆卫生",
            "注销公司",
            "投诉商家不退款",
            "举报卖过期食品",
            "电梯年检",
            "网店办执照",
        ],
        tasks_test=["开奶茶店办证", "买到过期的牛奶去投诉", "注销个体户", "举报饭店后厨不卫生"],
        staff=["执法人员", "所长"],
        special_train={
            "abuse": ["小摊位被罚了五千，连个说法都没有", "检查的时候拿走了好几箱货也不给清单"],
        },
        special_test={
            "abuse": ["执法人员进店就说要罚款，不说依据"],
        },
    ),
    "swj": UnitBank(
        names_train=[
            "税务局",
            "办税大厅",
            "税务分局",
            "地税局",
            "国税局",
            "税务所",
            "市税务局",
            "税务部门",
            "税务大厅",
            "纳税服务厅",
        ],
        names_test=["税务服务厅", "税务窗口"],
        tasks_train=[
            "代开发票",
            "报税",
            "办退税",
            "交契税",
            "开完税证明",
            "做税务登记",
            "领税控盘",
            "申报个人所得税",
            "开发票",
            "个税专项扣除",
            "交灵活就业的社保费",
            "办清税证明",
            "领发票",
            "注销税务登记",
        ],
        tasks_test=["个税汇算退钱", "买房交契税", "小规模纳税人申报"],
        staff=["税管员", "专管员"],
        special_train={
            "corruption": ["专管员暗示让我找他介绍的代账公司，不然年检就有麻烦"],
        },
        special_test={
            "corruption": ["税管员说用他推荐的财务公司，发票的事就好办"],
        },
    ),
    "wjw": UnitBank(
        names_train=[
            "卫健委",
            "卫生局",
            "卫计委",
            "卫生健康委",
            "市卫健委",
            "卫健局",
            "卫生部门",
            "卫生健康局",
            "卫健委的人",
        ],
        names_test=["卫生健康委员会", "卫健部门"],
        tasks_train=[
            "办出生医学证明",
            "做生育登记",
            "办健康证",
            "给孩子打疫苗",
            "投诉医院",
            "反映医疗纠纷",
            "在医院看病",
            "办准生证",
            "叫120急救车",
            "给老人做体检",
            "办独生子女证",
            "孕检建档",
            "医院挂号",
            "反映医院乱收费",
        ],
        tasks_test=["孩子出生证明写错了去改", "二胎登记", "社区医院打加强针", "住院被多收了钱"],
        staff=["医生", "护士", "接种点的"],
        special_train={
            "attitude": ["医生看病的时候不耐烦，问两句就赶人", "护士扎针的时候一直骂骂咧咧"],
            "access": ["打120打了半个小时都打不通"],
        },
        special_test={
            "attitude": ["挂号的护士嫌老人听不清，当众嘲笑"],
            "access": ["疫苗预约小程序永远显示约满"],
        },
    ),
    "jyj": UnitBank(
        names_train=[
            "教育局",
            "教委",
            "招生办",
            "教育部门",
            "学区",
            "市教育局",
            "区教育局",
            "教育部门的人",
            "教育主管部门",
            "区教委",
        ],
        names_test=["教育局基教科", "学区办"],
        tasks_train=[
            "给孩子办入学",
            "孩子转学",
            "小孩上学",
            "孩子划片",
            "办学籍",
            "孩子上幼儿园",
            "申请学位",
            "孩子中考报名",
            "考教师资格证",
            "孩子报名上小学",
            "随迁子女入学",
            "孩子读初中",
            "反映学校收费",
            "反映课外补习",
            "孩子分班",
        ],
        tasks_test=["孩子上一年级报名", "孩子从外地转回来读书", "小升初分学校", "孩子读公办幼儿园"],
        staff=["老师", "校长", "招生老师"],
        special_train={
            "abuse": ["学校强制学生买指定的教辅资料", "学校乱收费，补课费每学期两千"],
            "corruption": ["招生老师暗示交两万赞助费就能进", "想进那个学校得给校长送礼"],
        },
        special_test={
            "abuse": ["班主任强制家长在她亲戚开的店买校服"],
            "corruption": ["找招生办的人说，给个红包学位就能解决"],
        },
    ),
    "cgj": UnitBank(
        names_train=[
            "城管",
            "城管局",
            "城管执法局",
            "城管大队",
            "执法局",
            "城管队员",
            "城管中队",
            "城管执法大队",
            "城管部门",
            "城管的人",
        ],
        names_test=["城管执法队", "综合执法局"],
        tasks_train=[
            "在路边摆摊",
            "投诉占道经营",
            "举报违章搭建",
            "反映渣土车",
            "投诉噪音扰民",
            "反映路灯不亮",
            "反映垃圾没人清运",
            "店门口放广告牌",
            "卖水果",
            "推车卖早点",
            "门店外摆桌子",
            "举报楼顶违建",
            "反映广场舞噪音",
            "反映井盖丢了",
        ],
        tasks_test=["推着三轮车卖红薯", "举报邻居加盖一层", "工地晚上施工吵得睡不着"],
        staff=["城管队员", "协管员", "队长"],
        special_train={
            "abuse": ["城管把老人的菜摊直接掀了", "没收了三轮车也不给开单子", "城管队员动手打人"],
            "obstruction": ["违建举报了一年都没有拆"],
        },
        special_test={
            "abuse": ["协管员把卖菜大爷的秤抢走扔到车上"],
            "obstruction": ["路灯坏了两个月，打了五次电话都说登记了"],
        },
    ),
    "jtj": UnitBank(
        names_train=[
            "交通局",
            "运管处",
            "运管局",
            "交通运输局",
            "公路局",
            "客运站",
            "交通部门",
            "运管部门",
            "交通执法大队",
            "公路段",
        ],
        names_test=["交通执法支队", "运管所"],
        tasks_train=[
            "办道路运输证",
            "办网约车证",
            "投诉出租车",
            "反映公交车",
            "办从业资格证",
            "反映道路维修",
            "办营运证",
            "投诉客运大巴",
            "货车被查超载",
            "投诉公交司机",
            "反映公交站牌",
            "办货运资格证",
            "坐长途车",
            "反映乡村公路",
        ],
        tasks_test=["跑滴滴要办双证", "出租车绕路多收钱去投诉", "村里的公路坏了没人修"],
        staff=["执法人员", "稽查队员"],
        special_train={
            "abuse": ["货车被扣说超载，罚了三千还不给票", "执法人员拦车就罚款"],
        },
        special_test={
            "abuse": ["跑网约车被扣车，罚了一万，问依据说回去自己查"],
        },
    ),
    "zrj": UnitBank(
        names_train=[
            "自然资源局",
            "规划局",
            "国土局",
            "自规局",
            "国土资源局",
            "资规局",
            "国土部门",
            "规划部门",
            "自然资源部门",
            "国土所的人",
        ],
        names_test=["自然资源和规划局", "国土所"],
        tasks_train=[
            "办宅基地审批",
            "办规划许可",
            "办土地证",
            "反映征地补偿",
            "办用地审批",
            "申请规划审批",
            "做土地测绘",
            "反映土地出让",
            "农村建房审批",
            "反映占用耕地",
            "办不动产测绘",
            "查规划图",
            "办建设用地规划许可证",
        ],
        tasks_test=["老家盖房子批宅基地", "村里征地补偿不到位", "厂房扩建报规划"],
        staff=["科长", "所长"],
        special_train={
            "corruption": ["宅基地审批要先给村里和所里各包一个红包", "规划审批的科长说请他吃顿饭就快了"],
        },
        special_test={
            "corruption": ["批地的人说不意思意思，材料就永远在抽屉里"],
        },
    ),
    "gjj": UnitBank(
        names_train=[
            "公积金中心",
            "公积金管理中心",
            "公积金",
            "市公积金中心",
            "公积金大厅",
            "公积金窗口",
            "公积金管理部",
            "公积金中心窗口",
            "公积金办事处",
        ],
        names_test=["住房公积金管理中心", "公积金服务厅"],
        tasks_train=[
            "提取公积金",
            "办公积金贷款",
            "公积金转移",
            "租房提取公积金",
            "办公积金缴存",
            "公积金封存",
            "异地转移公积金",
            "还贷提取公积金",
            "退休提取公积金",
            "查公积金余额",
            "单位开公积金账户",
            "公积金贷款提前还款",
            "公积金基数调整",
        ],
        tasks_test=["离职了想把公积金取出来", "用公积金买房", "把外地的公积金转回来"],
        staff=["审批员", "经办员"],
        special_train={
            "obstruction": ["租房提取要我开租赁备案证明，房东根本不给办"],
        },
        special_test={
            "obstruction": ["提取要单位盖章，单位注销了就说办不了"],
        },
    ),
    "mzj": UnitBank(
        names_train=[
            "民政局",
            "婚姻登记处",
            "民政",
            "殡葬管理所",
            "市民政局",
            "民政部门",
            "民政部门",
            "婚姻登记窗口",
            "民政所的人",
        ],
        names_test=["婚姻登记中心", "民政所"],
        tasks_train=[
            "办结婚登记",
            "办离婚登记",
            "申请低保",
            "申请高龄补贴",
            "办残疾人补贴",
            "申请临时救助",
            "送老人进养老院",
            "办殡葬手续",
            "申请特困供养",
            "补办结婚证",
            "办社会组织登记",
            "申请孤儿补助",
            "办老年证",
        ],
        tasks_test=["领结婚证", "我妈一个人申请低保", "老人过世办丧事", "残疾人两项补贴"],
        staff=["登记员", "社工"],
        special_train={
            "corruption": ["低保名额要给村干部送烟酒才评得上"],
        },
        special_test={
            "corruption": ["评低保的时候有人说送两条烟就能上"],
        },
    ),
    "sthj": UnitBank(
        names_train=[
            "环保局",
            "生态环境局",
            "环境局",
            "市环保局",
            "环保部门",
            "生态环境分局",
            "环保部门的人",
            "环境保护局",
            "生态环境部门",
        ],
        names_test=["环境监察大队", "生态环境执法队"],
        tasks_train=[
            "举报工厂偷排",
            "投诉油烟",
            "反映扬尘",
            "举报污水直排",
            "投诉异味",
            "办环评审批",
            "办排污许可",
            "反映废气污染",
            "举报危废乱倒",
            "投诉养殖场臭味",
            "举报河道污染",
            "反映工地粉尘",
            "举报垃圾焚烧",
        ],
        tasks_test=["河里的鱼全死了去举报", "楼下烧烤店油烟熏得开不了窗", "化工厂半夜冒黑烟"],
        staff=["执法人员", "监测员"],
        special_train={
            "obstruction": ["举报偷排十几次，每次来了都说没发现问题"],
            "abuse": ["环评审批明显不合规也给批了"],
        },
        special_test={
            "obstruction": ["异味投诉打了八次电话，回复都是已转交相关部门"],
            "abuse": ["小作坊被罚款，隔壁大厂排的更多却没人管"],
        },
    ),
}

# --- behaviour phrases by category ------------------------------------------------------------------------
# Slots: {who} a member of staff, {win} a window, {dur} a duration, {times} a number of trips, {money} an amount.

# Training behaviours are composed: one or two predicates of the category, optionally with a subject
# ({who}). "subj" predicates read naturally after a person; "free" ones are whole clauses.
PREDICATES_TRAIN: dict[str, dict[str, list[str]]] = {
    "access": {
        "subj": [
            "说今天不办了，明天再来",
            "说负责的人出去了",
            "让我们在门外等着",
            "说没有预约不能进",
            "把门一关就走了",
            "说下午才接待",
            "说领导不在，谁也做不了主",
            "拦着不让上楼",
            "说要先打电话预约，电话又一直打不通",
            "说下午三点以后不接待",
            "说没有号了明天请早",
        ],
        "free": [
            "到了窗口一个人都没有",
            "等了{dur}也没人来",
            "门口保安不让进，说必须先预约",
            "网上预约一直约不上，说名额满了",
            "电话打了十几遍都没人接",
            "排了{dur}的队还没叫到我的号",
            "上班时间窗口关着",
            "{win}一直挂着暂停服务的牌子",
            "去了{times}都说负责的人不在",
            "大门锁着，里面明明有人",
            "找不到人办事",
            "窗口空着没人值守",
            "门卫拦着不让进去",
            "下午两点半了还不开门",
            "咨询电话根本打不通",
            "十几个人在排队只开了一个窗口",
            "说好的预约时间到了又说系统约不上",
            "叫号叫到一半就不叫了",
            "办事的地方搬了也不贴个通知，找了半天找不到",
            "办公室锁着门，敲了半天没人应",
            "预约系统一直显示已满",
            "打了二十多个电话没人接",
            "咨询电话永远占线",
            "取了号{dur}都没叫到",
            "叫号机停了也没人管",
            "十个窗口只开了两个",
            "上班时间找不到人",
            "负责的人总是不在",
            "到点了还不开门",
            "门口贴着暂停办理的通知，也不说什么时候恢复",
            "找了{times}都没见到人",
            "层层登记才让上楼，上去了办公室又没人",
            "工作日去了三次都关着门",
            "值班电话没人接",
            "留言了也没人回",
            "网上说可以预约，点进去一直转圈",
            "门口排了长队没人管",
            "窗口的灯亮着人不在",
            "号一放出来就没了，一个都约不上",
            "门口的保安说领导不在，谁都不让进",
            "排号排了一早上也没排上",
            "窗口贴着“系统升级暂停办理”，一贴就是一个星期",
            "办事大厅大门紧闭，里面有人在走动就是不开",
            "打过去永远是忙音",
        ],
    },
    "attitude": {
        "subj": [
            "态度特别差",
            "态度恶劣",
            "态度很不好",
            "态度生硬",
            "说话很冲",
            "说话难听",
            "冲我吼",
            "对我大吼大叫",
            "骂人",
            "骂骂咧咧的",
            "训斥我",
            "呵斥我",
            "凶巴巴的",
            "很凶",
            "很不耐烦",
            "爱答不理",
            "不理人",
            "理都不理",
            "头都不抬一下",
            "翻白眼",
            "甩脸子给我看",
            "甩脸色",
            "脸色很难看",
            "摆着一张臭脸",
            "冷着脸",
            "很冷漠",
            "冷冰冰的",
            "说话阴阳怪气的",
            "嫌弃我们农村来的",
            "看不起人",
            "嘲笑我",
            "把材料摔在桌上",
            "把我的证件扔出来",
            "拍桌子吼人",
            "赶我走",
            "说我烦",
            "嫌我问得多",
            "嫌我啰嗦",
            "一副高高在上的样子",
            "打官腔",
            "像审犯人一样问话",
            "对老人大呼小叫",
            "当着大家的面训斥我",
            "把我的话当耳旁风",
            "一脸不耐烦",
            "连正眼都不看我",
            "对我冷嘲热讽",
            "说话带脏字",
            "当着别人的面羞辱我",
            "拍着桌子跟我吵",
            "把笔一扔就不理我了",
            "说“爱办不办”",
            "直接挂我电话",
            "嫌我穿得破",
            "说我没文化看不懂",
        ],
        "free": [
            "问了两句就不耐烦了",
            "我多问了一句就被呵斥",
            "我刚开口就被打断",
            "脸色难看得像我欠他钱一样",
            "我问一句他回一句“自己看”",
            "一点服务意识都没有",
            "一副爱办不办的样子",
            "一句好话都没有，张口就是教训人",
            "问三句答一句，还不耐烦",
        ],
    },
    "obstruction": {
        "subj": [
            "让我跑了{times}还没办好",
            "每次都说材料不全",
            "材料要了一遍又一遍",
            "今天要这个明天要那个",
            "不一次性说清楚",
            "说不归他们管",
            "让我去找别的部门",
            "把我推给街道",
            "拖着不办",
            "一拖再拖",
            "拖了{dur}也不给办",
            "故意刁难",
            "鸡蛋里挑骨头",
            "非要我开一个根本开不出来的证明",
            "让我回老家开证明",
            "说不符合条件，又说不出是哪一条",
            "卡着不给办",
            "说要领导签字，领导一直不在",
            "说等通知，一直没有通知",
            "让我自己去协调",
            "把材料退回来让我重新准备",
            "说下周再来，下周又说下周",
            "答应的事一直不办",
            "说系统有问题办不了",
            "要我证明我妈是我妈",
            "一直说在走流程",
            "一会儿让我找社区，一会儿让我找街道",
            "说要等领导开会研究",
            "说系统里查不到我的信息，让我自己想办法",
            "非要原件，复印件盖了章也不行",
            "卡在最后一个章上不给盖",
            "说今年的指标用完了，明年再来",
            "让我写保证书才给办",
            "让我找原单位出证明，原单位早没了",
        ],
        "free": [
            "来回跑了{times}，每次都要补新材料",
            "踢皮球，这个说找那个，那个说找这个",
            "互相推诿，谁都不管",
            "一次性告知根本没做到",
            "材料交上去{dur}没有回音",
            "明明符合条件就是不给办",
            "资料齐全还是不受理",
            "两个部门互相推，谁也不管",
            "一件事分了三个窗口，每个窗口都说去找另一个",
            "催了{times}都说在办",
            "推来推去，最后谁也不负责",
            "跑了好几趟，每次说法都不一样",
            "街道让我找他们，他们又让我找街道",
            "材料交了三次，每次都被退回来",
            "层层审批，一个章要跑一个地方",
            "一件小事拖了大半年还没结果",
        ],
    },
    "corruption": {
        "subj": [
            "暗示要给点好处才给办",
            "让我找指定的中介",
            "不给红包就一直卡着不办",
            "说请他吃个饭就好办了",
            "私下收钱帮人插队",
            "要我买他们指定的东西才给盖章",
            "说意思意思就能快点",
            "收了{money}好处费",
            "让我把钱转到他个人微信上",
            "说不打点一下肯定批不了",
            "开口就要{money}的辛苦费",
            "收了红包才给办",
            "逢年过节要我们送购物卡",
            "让我去他亲戚的店里买东西",
            "收了烟酒才给签字",
            "明着要好处费",
            "跟黄牛串通好了",
            "变着法子要钱",
            "暗示我要“懂规矩”",
            "说“你看着办”",
            "让我请他喝茶",
            "说找他朋友的公司办就快",
            "收了钱才给插队",
            "让我转账到个人账户",
            "暗示过节要表示表示",
        ],
        "free": [
            "黄牛加钱当天就能办，自己排队就说没号",
            "送了两条烟才给办下来",
            "门口的黄牛跟里面的人是一伙的",
            "找关系塞了钱的人当天就办完了",
            "有熟人的直接插队进去了",
            "不给好处就说材料不合格",
            "中介收{money}包办，说里面有人",
            "吃拿卡要太明显了",
            "托人送了钱第二天就批了",
            "不塞钱就一直说材料有问题",
            "有人拎着礼品进去，出来就办好了",
        ],
    },
    "discipline": {
        "subj": [
            "上班时间一直在玩手机",
            "在窗口里面打游戏",
            "刷抖音声音开得很大",
            "在看电视剧",
            "在看直播",
            "几个人在聊天，根本不理排队的人",
            "一边打电话聊家常一边让我们等",
            "下午四点就提前下班了",
            "九点多了还没来上班",
            "工作时间脱岗，人不知道去哪了",
            "中午喝了酒来上班，一身酒气",
            "趴在桌上睡觉",
            "边嗑瓜子边办事",
            "在办公室里抽烟",
            "离岗半个多小时才回来",
            "上着班跑出去买菜",
            "迟到早退是家常便饭",
            "对着电脑玩斗地主",
            "在窗口里吃早饭",
            "在网上购物",
            "在看股票",
            "在织毛衣",
            "午休到三点才回来",
            "上班时间办私事",
            "围在一起打牌",
            "闲聊了半个小时",
            "上班时间在打麻将",
            "在窗口里化妆",
            "一直在聊微信",
            "戴着耳机听歌",
            "在吃零食",
            "迟到了一个多小时",
            "中午提前一个小时去吃饭",
            "上班时间去接孩子",
        ],
        "free": [
            "窗口的人都在玩手机",
            "上班时间一个个都在刷视频",
            "还没到下班时间人就都走光了",
            "上班时间办公室里一股酒味",
            "几个工作人员凑在一起聊天嗑瓜子",
            "一上午窗口里的人都在玩手机",
            "下午没到点办公室就空了",
        ],
    },
    "incompetence": {
        "subj": [
            "问什么都说不清楚",
            "答复前后矛盾",
            "把我的名字录错了，又得重新办",
            "不会操作系统",
            "政策都不懂",
            "给的材料清单是错的",
            "一问三不知",
            "表格填错了还说是我的问题",
            "连基本的流程都搞不清楚",
            "把我的证件号码打错了",
            "业务一点都不熟，翻了半天文件",
            "说法一天一个样",
            "把别人的材料装进了我的档案袋",
            "自己都不知道要什么材料",
            "算错了金额",
            "把政策理解错了",
            "简单的问题都要打电话问别人",
            "操作了半天还是出错",
            "指导错了害我白跑一趟",
            "说的跟网上写的完全不一样",
            "证件上的信息印错了",
            "说的政策早就废止了",
            "连表格放在哪都找不到",
            "算错了补贴金额",
            "给了我一个错误的电话",
            "把我的材料弄丢了",
            "流程都搞不清楚，让我去问别人",
            "系统操作错了，害我被重复扣款",
        ],
        "free": [
            "两个工作人员说法不一样",
            "电话里说的跟窗口说的完全不一样",
            "问了三个人得到三种说法",
            "答复的内容是错的",
            "因为他们录错信息，我又跑了一趟",
            "新来的什么都不懂，也没人带",
            "窗口说的和网上公布的材料清单不一样",
            "每个人说的流程都不一样，也没人说得清",
        ],
    },
    "abuse": {
        "subj": [
            "乱收费，收了{money}也没给收据",
            "罚款不给开票",
            "把我的东西没收了也不给单子",
            "威胁我说再投诉就报复",
            "强制要求我买保险才给办",
            "没有任何依据就罚了{money}",
            "乱罚款，标准都没有",
            "滥用职权，故意整我",
            "多收了{money}的费用",
            "收了钱不开票",
            "违规审批，给关系户开绿灯",
            "收了一笔没有文件依据的费用",
            "强制捆绑收费",
            "不出示证件就要罚款",
            "把我的车扣了也不给手续",
            "重复收费",
            "随便找个理由就罚款",
            "收费比公示的标准高",
            "罚款的时候不告诉我可以申辩",
            "扣车也不给手续",
            "随意查封我的店",
            "把我的东西强行拖走",
            "多扣了我的钱不退",
        ],
        "free": [
            "不按规定收费，收费标准比公示的高了一倍",
            "说不交钱就不给办，这个钱文件上根本没有",
            "罚了款连个罚单都没有",
            "收费的名目一大堆，问依据谁也说不出",
            "没有任何文书就把店封了",
            "收了钱给的是白条，不是正规票据",
        ],
    },
}
CONNECTORS_TRAIN = [
    "{a}",
    "{a}",
    "{a}",
    "{who}{a}",
    "{who}{a}",
    "{a}，{b}",
    "{who}{a}，还{b}",
    "{a}，而且{b}",
    "结果{a}",
    "没想到{a}",
    "{a}，{b}，真是服了",
]

# Only units that enforce (fine, seize, detain) get these.
ENFORCERS = ("gaj", "cgs", "cgj", "scj", "jtj", "sthj")
ENFORCEMENT_TRAIN = [
    "执法的时候推搡老人",
    "暴力执法，把人按在地上",
    "选择性执法，只罚我们不罚别人",
    "强制拆了我的棚子，也没有通知书",
    "乱扣分还不让申诉",
    "开罚单的时候说我再啰嗦就多罚",
]
ENFORCEMENT_TEST = ["几个人上来就把东西往车上搬", "我拍视频取证，他抢了我的手机"]

BEHAVIOUR_TEST: dict[str, list[str]] = {
    "access": [
        "办公室的门一上午都关着，敲了也没人应",
        "柜台后面空空的，问保安也说不知道人去哪了",
        "号码牌显示还要等一百多号，大厅里只有一个人在办",
        "挂的办公电话是空号",
        "说要线上约，小程序点进去全是灰的",
        "到了说今天系统维护，门都没让进",
    ],
    "attitude": [
        "{who}嫌我啰嗦，直接把窗口的帘子拉下来了",
        "跟我说话像审犯人一样",
        "我说听不懂，她就更大声地吼",
        "一开口就是“你怎么连这个都不会”",
        "还没说完就被赶出来了",
        "对我们外地人明显看不起",
    ],
    "obstruction": [
        "第一次说要户口本，第二次说要结婚证，第三次又要单位证明",
        "两个科室互相推，我在楼上楼下跑了一下午",
        "材料齐了就是不受理，说领导没签字",
        "说等通知，等了{dur}一个电话都没有",
        "办个简单的事让我回老家开证明",
        "每次去都换一个人，每个人要的东西都不一样",
    ],
    "corruption": [
        "排了三天号没轮到，加了{money}的人直接进去了",
        "{who}说这个事“你懂的”，然后看着我不说话",
        "非要我找他介绍的代办，代办费{money}",
        "不送东西就说材料不合格",
        "要我给他发个红包，说帮我加急",
        "隔壁大哥送了一箱酒，第二天就办好了",
    ],
    "discipline": [
        "{who}戴着耳机在看直播",
        "办公时间好几个人围在一起打牌",
        "窗口的人一边打电话聊家常一边让我们等着",
        "十点了人还在吃早饭",
        "下午三点多就收拾东西准备走了",
        "{who}在窗口里刷短视频笑出声",
    ],
    "incompetence": [
        "问了三个人得到三个答案",
        "我的信息被录入错了，害我跑去改了两次",
        "{who}连自己单位的政策都没看过",
        "教我填的表是作废的旧版本",
        "操作了半天还是出错，最后说让我明天再来",
        "简单的问题都要打电话问别人",
    ],
    "abuse": [
        "收了{money}说是手续费，问有没有文件说没有",
        "开罚单也不说是哪一条规定",
        "说不服就去告，反正告不赢",
        "莫名其妙多扣了我{money}",
    ],
}

OTHER_TRAIN = [
    "建议{unit}周末也开放，上班族平时请不了假",
    "咨询一下{task}需要带哪些材料",
    "希望{unit}能在网上公布办事流程",
    "提个意见，{unit}门口停车位太少了",
    "想问一下{task}大概多久能办好",
    "建议{unit}多设几台自助机",
    "希望{unit}的办事指南写清楚一点",
    "{task}能不能在手机上办",
    "请问{task}可以委托别人代办吗",
    "给{unit}提个建议，叫号的声音太小听不清",
    "希望能延长{unit}中午的办公时间",
    "{task}有没有什么新政策",
    "我想了解{task}的流程",
    "{unit}能不能开通微信预约",
    "建议{unit}把需要的材料清单贴在门口",
    "{task}在哪个窗口办",
    "建议{unit}设一个老年人专用窗口",
    "{task}要本人去吗，还是可以网上办",
    "希望{unit}能给个办理进度的短信提醒",
    "表扬一下{unit}，这次{task}很顺利",
    "{unit}的服务比以前好多了，点个赞",
    "{task}现在还要排队吗",
    "提个建议：{unit}门口能不能加个无障碍通道",
]
BARE_TRAIN = ["我在{unit}{task}", "{task}", "{unit}", "关于{task}的事", "{unit}，{task}", "我要反映{unit}", "去{task}"]
OTHER_TEST = [
    "有个问题想咨询，{task}必须本人到场吗",
    "{unit}能不能出个办事的视频教程",
    "给个建议，{unit}大厅的指示牌太乱了",
    "想了解一下{task}的收费标准是多少",
]
# Texts that point at no unit at all: general suggestions, questions about the account, vague grumbles.
NO_UNIT_TRAIN = [
    ("other", "你们这个公众号怎么用，在哪里提交"),
    ("other", "建议政府多建几个停车场"),
    ("other", "请问投诉以后多久有回复"),
    ("other", "想问问怎么查询我上次反映的事"),
    ("other", "希望你们认真处理每一件投诉"),
    ("other", "建议在公众号上加一个进度查询"),
    ("other", "我想匿名反映一个情况可以吗"),
    ("other", "提个建议，办事的地方能不能都统一到一个地方"),
    ("other", "你好在吗"),
    ("other", "有人吗，想咨询个事"),
    ("other", "谢谢你们上次帮我解决问题"),
    ("other", "我要表扬一下你们的工作人员"),
    ("other", "建议多开通一些网上办理的事项"),
    ("other", "请问治庸问责是管什么的"),
    ("other", "能不能留个电话"),
    ("other", "我想了解一下怎么举报"),
    ("other", "在吗在吗"),
    ("other", "怎么联系人工客服"),
    ("other", "你们周末上班吗"),
    ("other", "测试一下"),
    ("other", "我上次的投诉怎么还没人联系我"),
    ("other", "工单号是多少，我忘了"),
    ("other", "举报要实名吗"),
    ("other", "希望各部门都能像你们这样负责"),
    ("other", "建议把办事指南都放到网上"),
    ("other", "好的，谢谢"),
    ("other", "这个平台能反映哪些问题"),
    ("other", "我不知道该找哪个部门"),
    ("attitude", "有个工作人员对我态度很差"),
    ("discipline", "看到有公务员上班时间在外面喝茶"),
    ("corruption", "听说办事要找关系送钱"),
    ("obstruction", "办个事太难了，跑了好多地方"),
    ("access", "想办事但是不知道去哪找人"),
    ("discipline", "有的单位上班时间根本找不到人在岗"),
    ("abuse", "有人借着执法乱罚款"),
    ("incompetence", "问了好几个部门都说不清楚"),
    ("attitude", "现在有些办事的人说话太难听了"),
    ("obstruction", "政府部门办事效率太低了，一件事拖几个月"),
    ("corruption", "办事不送礼就办不成，这风气什么时候能改"),
    ("discipline", "机关里上班玩手机的太多了"),
]
NO_UNIT_TEST = [
    ("other", "这个号是干什么用的"),
    ("other", "想问一下你们几点下班"),
    ("other", "我之前提交的怎么没消息了"),
    ("other", "建议所有部门都能网上预约"),
    ("attitude", "政府部门的人态度都这么差吗"),
    ("discipline", "某些部门的人上班就是混日子"),
]

GREET_TRAIN = [
    "",
    "",
    "",
    "你好，",
    "您好，",
    "领导好，",
    "我要投诉，",
    "反映个问题：",
    "麻烦管一下，",
    "实在受不了了，",
    "请问这里能投诉吗？",
    "我想反映一个情况，",
    "你们好，",
]
GREET_TEST = ["", "", "尊敬的领导：", "打扰了，", "我是一个普通市民，", "必须投诉！"]
TIME_TRAIN = [
    "",
    "",
    "昨天上午",
    "今天早上",
    "上周三",
    "前天下午",
    "5月12号",
    "上个月",
    "这周一",
    "今天下午三点多",
    "10月8日上午",
    "大前天",
    "刚才",
    "上周五下午",
]
TIME_TEST = ["", "本月15日", "国庆节后第一天", "上礼拜", "今天九点半", "昨日"]
CLOSE_TRAIN = [
    "",
    "",
    "",
    "希望严肃处理。",
    "请给个说法！",
    "这就是为人民服务？",
    "太气人了",
    "希望有人管管。",
    "请领导重视",
    "麻烦尽快处理，谢谢",
    "老百姓办点事怎么这么难",
    "什么作风！",
    "请核实",
    "无语了",
    "谢谢。",
    "请问这是什么道理？",
    "希望回复",
    "请相关部门查一查",
]
CLOSE_TEST = ["", "望查处。", "希望能改进", "谢谢！", "这种人怎么还在岗位上"]
WHO = [
    "工作人员",
    "窗口的工作人员",
    "那个女工作人员",
    "一个男的",
    "值班的那个人",
    "里面坐着的人",
    "负责的人",
    "办事员",
    "一个戴眼镜的",
    "一个年轻小伙子",
    "一个中年大姐",
    "接待的人",
]
DUR = ["两个小时", "一上午", "半天", "四十分钟", "三天", "一个多月", "两个星期", "快一年", "一下午", "二十天"]
TIMES = ["三趟", "五次", "好几趟", "四回", "七八次", "两趟", "十来次"]
MONEY = ["两百块", "500元", "一千块", "三百", "1500元", "八百块", "两千"]
EMOJI = ["😡", "🙄", "😤", "👎", "🤬", "😭", "🙏", "😠", "💢", "😓"]
FILLERS = ["那个", "就是", "然后", "反正", "真的是", "怎么说呢", "呃"]

# Pinyin-input slips people actually make (same sound, wrong character).
TYPOS = [
    ("公积金", "公基金"),
    ("身份证", "身分证"),
    ("态度", "太度"),
    ("办理", "半理"),
    ("驾驶证", "驾使证"),
    ("已经", "以经"),
    ("登记", "登纪"),
    ("排队", "牌队"),
    ("城管", "成管"),
    ("结婚", "结昏"),
    ("发票", "发漂"),
    ("工作人员", "工做人员"),
    ("在", "再"),
    ("的", "得"),
    ("材料", "才料"),
    ("证明", "正明"),
    ("窗口", "窗囗"),
    ("派出所", "派处所"),
    ("医保", "医宝"),
    ("罚款", "罚歀"),
    ("社保", "设保"),
    ("户口", "户囗"),
    ("红包", "红苞"),
]

# --- frames ----------------------------------------------------------------------------------------------
# {place}: where it happened ("在车管所" or a generic "在窗口"); {task}: what the citizen went for;
# {behav}/{behav2}: behaviour phrases; the frame decides word order, the banks decide the words.

FRAMES_TRAIN = [  # (naming the unit, implying it through the service)
    ("{greet}{time}{place}{task}，{behav}。{close}", "{greet}{time}{place}{task}，{behav}。{close}"),
    ("{greet}{time}去{unit}{task}，{behav}，{behav2}。{close}", "{greet}{time}去{task}，{behav}，{behav2}。{close}"),
    ("{greet}我要投诉{unit}，{behav}。{close}", "{greet}我要投诉，{task}的时候{behav}。{close}"),
    ("{time}{place}{task}的时候{behav}{close}", "{time}{task}的时候{behav}{close}"),
    ("{greet}{unit}的{who}，{behav_nowho}。{close}", "{greet}{task}的{who}，{behav_nowho}。{close}"),
    (
        "{time}我去{unit}{filler}{behav}{filler}{behav2}你们管不管",
        "{time}我去{task}{filler}{behav}{filler}{behav2}你们管不管",
    ),
    ("{greet}为了{task}{place}来来回回，{behav}。{close}", "{greet}为了{task}来来回回，{behav}。{close}"),
    ("{behav}！{time}{place}{task}，{close}", "{behav}！{time}{place}{task}，{close}"),
    ("{greet}{unit}，{task}，{behav}", "{greet}{task}，{behav}"),
    ("{unit} {behav}", "{task} {behav}"),
    ("{greet}{time}拿着材料{place}{task}，{behav}。{close}", "{greet}{time}拿着材料{place}{task}，{behav}。{close}"),
    ("{greet}材料都带齐了，{time}去{unit}{task}，{behav}", "{greet}材料都带齐了，{time}去{task}，{behav}"),
    ("{time}{place}{task}，{behav}，这合理吗？", "{time}{place}{task}，{behav}，这合理吗？"),
    ("请问{unit}的人可以这样吗？{behav}", "请问可以这样吗？{task}的时候{behav}"),
    ("{greet}我想投诉一下{unit}，{time}{task}，{behav}", "{greet}我想投诉一下，{time}{task}，{behav}"),
    ("{time}{place}{task}碰到这种事：{behav}，有没有人管？", "{time}{task}碰到这种事：{behav}，有没有人管？"),
    (
        "{greet}情况是这样的：{time}{place}{task}，{behav}，{behav2}。",
        "{greet}情况是这样的：{time}{task}，{behav}，{behav2}。",
    ),
]
FRAMES_TEST = [
    (
        "{greet}{time}本人{place}{task}，遇到以下情况：{behav}。{close}",
        "{greet}{time}本人{place}{task}，遇到以下情况：{behav}。{close}",
    ),
    ("{greet}想说一下{unit}的问题，{behav}，{behav2}。", "{greet}想说一下{task}的问题，{behav}，{behav2}。"),
    ("我这次去{unit}{task}，{behav}，请问这正常吗？", "我这次{task}，{behav}，请问这正常吗？"),
    ("{time}带着材料{place}{task}，结果{behav}。{close}", "{time}带着材料{place}{task}，结果{behav}。{close}"),
    ("关于{unit}：{behav}", "关于{task}：{behav}"),
]
NAMED_PLACE = ["在{unit}", "去{unit}", "到{unit}", "在{unit}那边", "去{unit}窗口"]
GENERIC_PLACE = ["", "", "在窗口", "去大厅", "在办事窗口", "去了"]


def _fill_slots(text: str, rng: random.Random, staff: Sequence[str]) -> str:
    who_pool = list(WHO) + list(staff) * 2
    text = text.replace("{who}", rng.choice(who_pool))
    text = text.replace("{win}", f"{rng.randint(1, 24)}号窗口")
    text = text.replace("{dur}", rng.choice(DUR))
    text = text.replace("{times}", rng.choice(TIMES))
    return text.replace("{money}", rng.choice(MONEY))


@dataclass
class Example:
    text: str
    category: str
    unit: str | None
    named: bool
    source: str
    group_category: str = ""
    group_unit: str = ""

    def as_json(self) -> str:
        record = {
            "text": self.text,
            "category": self.category,
            "unit": self.unit,
            "named": self.named,
            "source": self.source,
            "group": [self.group_category, self.group_unit],
        }
        return json.dumps(record, ensure_ascii=False)


def _roughen(text: str, rng: random.Random) -> str:
    """Make a tidy composed sentence look like what people actually send."""
    if rng.random() < 0.15:
        for right, wrong in rng.sample(TYPOS, 3):
            if right in text:
                text = text.replace(right, wrong, 1)
                break
    if rng.random() < 0.2:  # dictated by voice: no punctuation at all
        text = re.sub(r"[，。！？：；、,.!?]", " " if rng.random() < 0.3 else "", text).strip()
    if rng.random() < 0.12:
        text = text.replace("！", "！！！").replace("？", "？？")
    if rng.random() < 0.15:
        emoji = "".join(rng.choice(EMOJI) for _ in range(rng.randint(1, 3)))
        text = text + emoji if rng.random() < 0.7 else emoji + text
    if rng.random() < 0.06:
        text = zhconv.convert(text, "zh-tw")
    if rng.random() < 0.05:  # full-width digits from some input methods
        text = text.translate({ord(str(d)): chr(0xFF10 + d) for d in range(10)})
    return text


@dataclass(frozen=True)
class Behaviour:
    text: str
    group: str  # which phrase decided the category: examples sharing it stay in one cross-validation fold


def _behaviour(unit: str, category: str, test: bool, rng: random.Random, *, subject: bool = True) -> Behaviour:
    """A behaviour phrase of `category` as it could happen at `unit` (test: whole hand-written phrases)."""
    bank = UNITS[unit]
    special = list((bank.special_test if test else bank.special_train).get(category, []))
    if category == "abuse" and unit in ENFORCERS:
        special += ENFORCEMENT_TEST if test else ENFORCEMENT_TRAIN
    if test:
        pool = list(BEHAVIOUR_TEST[category]) + special * 2
        text = rng.choice(pool)
        if not subject:
            text = text.replace("{who}", "")
        return Behaviour(_fill_slots(text, rng, bank.staff), f"{category}/t{pool.index(text) if text in pool else 0}")
    if special and rng.random() < 0.2:
        text = rng.choice(special)
        return Behaviour(_fill_slots(text, rng, bank.staff), f"{category}/s{special.index(text)}")
    preds = PREDICATES_TRAIN[category]
    both = preds["subj"] + preds["free"]
    first = rng.choice(both)
    second = rng.choice(preds["subj"])
    connector = rng.choice(CONNECTORS_TRAIN)
    if first not in preds["subj"] or not subject:
        connector = connector.replace("{who}", "")
    text = connector.replace("{a}", first).replace("{b}", second)
    return Behaviour(_fill_slots(text, rng, bank.staff), f"{category}/p{both.index(first)}")


def _compose(unit: str, category: str, named: bool, test: bool, rng: random.Random) -> tuple[str, bool, str, str]:
    """One message, whether it actually names the unit, and its category and unit groups."""
    bank = UNITS[unit]
    names = bank.names_test if test and rng.random() < 0.5 else bank.names_train
    tasks = bank.tasks_test if test else bank.tasks_train
    unit_name = rng.choice(names)
    task = rng.choice(tasks)
    unit_group = f"{unit}/{'n' + str(names.index(unit_name)) if named else 't' + str(tasks.index(task))}"
    if category == "other":
        pool = OTHER_TEST if test else OTHER_TRAIN
        special = (bank.special_test if test else bank.special_train).get("other", [])
        if special and rng.random() < 0.3:
            text = rng.choice(special)
            return text, False, f"other/s{special.index(text)}", f"{unit}/o"
        template = rng.choice(pool)
        ref = unit_name if named else "你们"
        group = f"other/{pool.index(template)}"
        has_unit = "{unit}" in template
        if has_unit and not named and "{task}" not in template:
            template = f"{task}的事，" + template
        text = template.replace("{unit}", ref).replace("{task}", task)
        return text, named and has_unit, group, unit_group
    behav = _behaviour(unit, category, test, rng)
    behav2 = _behaviour(unit, category, test, rng)
    behav_nowho = _behaviour(unit, category, test, rng, subject=False)
    named_frame, implied_frame = rng.choice(FRAMES_TEST if test else FRAMES_TRAIN)
    if named:
        frame = named_frame.replace("{unit}", unit_name)
        place = rng.choice(NAMED_PLACE).replace("{unit}", unit_name)
    else:
        frame = implied_frame
        place = rng.choice(GENERIC_PLACE)
    if "{behav_nowho}" in frame:
        behav = behav_nowho
    parts = {
        "greet": rng.choice(GREET_TEST if test else GREET_TRAIN),
        "time": rng.choice(TIME_TEST if test else TIME_TRAIN),
        "close": rng.choice(CLOSE_TEST if test else CLOSE_TRAIN),
        "place": place,
        "task": task,
        "behav_nowho": behav_nowho.text,
        "behav2": behav2.text if behav2.group != behav.group else "",
        "behav": behav.text,
        "who": rng.choice(list(WHO) + list(bank.staff)),
        "filler": rng.choice(FILLERS) if rng.random() < 0.6 else "",
    }
    text = frame
    for key, value in parts.items():
        text = text.replace("{" + key + "}", value)
    text = _fill_slots(text, rng, bank.staff)
    text = re.sub(r"，+", "，", text).replace("，。", "。").replace("。。", "。")
    return text, named, behav.group, unit_group


def _negated(unit: str, category: str, test: bool, rng: random.Random) -> tuple[str, str]:
    """A text that names another unit only to say it is not about it (the label stays `unit`)."""
    others = sorted(u for u in UNITS if u != unit)
    other = rng.choice(others)
    other_name = rng.choice(UNITS[other].names_train)
    name = rng.choice(UNITS[unit].names_test if test else UNITS[unit].names_train)
    behav = _behaviour(unit, category, test, rng, subject=False)
    forms_train = [
        "不是{other}的问题，是{unit}，{behav}",
        "{other}那边没问题，主要是{unit}{behav}",
        "我说的不是{other}，是{unit}的人{behav}",
        "跟{other}没关系，{unit}{behav}",
        "不关{other}的事，{unit}{behav}",
    ]
    forms_test = ["这事不怪{other}，{unit}{behav}", "并不是{other}，而是{unit}，{behav}"]
    form = rng.choice(forms_test if test else forms_train)
    return form.format(other=other_name, unit=name, behav=behav.text), behav.group


def _handoff(unit: str, category: str, test: bool, rng: random.Random) -> tuple[str, str]:
    """Two units in one story; the complaint is about the second."""
    others = sorted(u for u in UNITS if u != unit)
    first = UNITS[rng.choice(others)]
    behav = _behaviour(unit, category, test, rng, subject=False)
    name = rng.choice(UNITS[unit].names_train)
    forms_train = [
        "{a}那边很快就办好了，拿着材料到{b}，{behav}",
        "{a}已经盖好章了，但是到了{b}，{behav}",
        "先去了{a}，挺顺利的，结果{b}{behav}",
        "在{a}开好了证明，拿去{b}，{behav}",
    ]
    form = rng.choice(forms_train) if not test else "{a}的手续都齐了，可是{b}{behav}"
    return form.format(a=rng.choice(first.names_train), b=name, behav=behav.text), behav.group


def _generate(test: bool, per_cell: int, rng: random.Random) -> list[Example]:
    examples: list[Example] = []
    categories = list(PREDICATES_TRAIN) + ["other"]
    source = "template-test" if test else "template"
    for unit in UNITS:
        for category in categories:
            for i in range(per_cell):
                text, named, cat_group, unit_group = _compose(unit, category, i % 2 == 0, test, rng)
                examples.append(Example(_roughen(text, rng), category, unit, named, source, cat_group, unit_group))
            if category != "other":
                for maker in (_negated, _handoff):
                    if rng.random() < (0.35 if test else 0.5):
                        text, cat_group = maker(unit, category, test, rng)
                        examples.append(
                            Example(
                                _roughen(text, rng), category, unit, True, source, cat_group, f"{unit}/{maker.__name__}"
                            )
                        )
    if not test:
        # A unit or a service and nothing about what happened: no behaviour to name, so "other".
        for unit, bank in UNITS.items():
            for form in rng.sample(BARE_TRAIN, 3):
                named = "{unit}" in form
                text = form.replace("{unit}", rng.choice(bank.names_train)).replace(
                    "{task}", rng.choice(bank.tasks_train)
                )
                examples.append(
                    Example(_roughen(text, rng), "other", unit, named, source, "other/bare", f"{unit}/bare")
                )
    pool = NO_UNIT_TEST if test else NO_UNIT_TRAIN
    for i, (category, text) in enumerate(pool):
        examples.append(Example(_roughen(text, rng), category, None, False, source, f"none/{i}", f"none/{i}"))
    return examples


def _dedupe(examples: list[Example], exclude: set[str] | None = None) -> list[Example]:
    seen = set(exclude or ())
    out = []
    for ex in examples:
        if ex.text in seen:
            continue
        seen.add(ex.text)
        out.append(ex)
    return out


def build() -> tuple[list[Example], list[Example]]:
    """The training and test examples, deterministic for SEED."""
    from nlp.data.handwritten import HANDWRITTEN_TEST
    from nlp.data.handwritten import HANDWRITTEN_TRAIN

    train = _generate(False, PER_CELL_TRAIN, random.Random(SEED))
    train += [
        Example(t, c, u, n, "handwritten", f"hw/{i}", f"hw/{i}") for i, (t, c, u, n) in enumerate(HANDWRITTEN_TRAIN)
    ]
    train = _dedupe(train)
    random.Random(SEED + 1).shuffle(train)
    test = _generate(True, PER_CELL_TEST, random.Random(SEED + 2))
    test += [
        Example(t, c, u, n, "handwritten-test", f"hw/{i}", f"hw/{i}") for i, (t, c, u, n) in enumerate(HANDWRITTEN_TEST)
    ]
    test = _dedupe(test, exclude={ex.text for ex in train})
    return train, test


def write(out_dir: Path = HERE) -> tuple[int, int]:
    train, test = build()
    for name, rows in (("train.jsonl", train), ("test.jsonl", test)):
        (out_dir / name).write_text("".join(ex.as_json() + "\n" for ex in rows), encoding="utf-8")
    return len(train), len(test)


def _main() -> None:
    n_train, n_test = write()
    print(f"wrote {n_train} training and {n_test} test examples to {HERE}")


if __name__ == "__main__":
    _main()
