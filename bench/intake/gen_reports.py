#!/usr/bin/python3
"""gen_reports.py — writes N varied, realistic initial-report documents for the intake benchmark.

  gen_reports.py --rules rules/cn-2025.json --out DIR [--n 2000] [--seed 20251101]

Writes DIR/bodies.tsv: one line per report, `USER<TAB>JSON` (compact JSON, no raw newline), where USER is the demo
operator account whose organisation the report speaks for (reporting_unit, systems and facts fit that organisation);
the wrk script (intake.lua) sends each body with that user's token.
Writes DIR/sample.tsv: `LINE<TAB>USER<TAB>GRADE<TAB>BYTES<TAB>WHY` for a sample the run script posts once with curl
before the benchmark (one body per grade, the smallest and largest, ransom, tier-conditioned facts, a few at random):
each must answer 201 with the grade written here, so a broken generator fails loudly.

Varied on purpose: the categories of GB/T 20986-2023 (codes, and Chinese names for some), facts that produce every
grade of the Annex grading guide, computed here from the criteria of the rule pack itself (so the expected grade
follows the pack), body sizes spread log-uniformly over 200 B – 4 KiB, ransom details for ransomware, some suspected
crimes and some declared grades. aware_at is the generation time minus 5–600 minutes (+08:00), never in the future.
Only the Python standard library; deterministic for a given seed and clock.
"""
import argparse
import datetime as dt
import json
import math
import os
import random
import sys

TZ = dt.timezone(dt.timedelta(hours=8))
LEVELS = ["一般", "较大", "重大", "特别重大"]

# Demo operator accounts (data/demo.json) and what fits their organisation.
OPERATORS = {
    "reporter": dict(unit="国网山西省电力公司信息通信分公司", contact="王晓明 0351-4000000", cii=True, city="太原",
                     systems=["调度自动化系统（SCADA）主站服务器", "用电信息采集系统", "营销业务应用系统", "电力交易平台",
                              "配电自动化主站", "生产管理系统（PMS）"]),
    "reporter-mwr": dict(unit="水利部信息中心", contact="李静 010-63200000", cii=False, portal=True, city="北京",
                         systems=["水利部门户网站", "国家防汛抗旱指挥系统", "全国水资源监控平台", "水利政务服务平台",
                                  "水文数据汇集系统"]),
    "reporter-bj": dict(unit="北京云帆网络科技有限公司", contact="赵磊 010-82800000", cii=False, platform=True, city="北京",
                        systems=["云帆视频社区平台", "用户账号中心", "对象存储集群", "内容审核系统", "CDN 边缘节点",
                                 "移动客户端后端 API"]),
    "reporter-jc": dict(unit="晋城市恒泰精密机械有限公司", contact="孙海涛 0356-2000000", cii=False, city="晋城",
                        systems=["ERP 系统", "MES 制造执行系统", "数控机床联网平台", "财务共享系统", "办公 OA 系统"]),
    "reporter-sh": dict(unit="欧联自动化（上海）有限公司", contact="陈思远 021-58000000", cii=False, city="上海",
                        systems=["PLC 工程站", "SAP ERP 系统", "远程运维 VPN 网关", "产品固件更新服务器", "研发文件服务器"]),
    "reporter-bank": dict(unit="沪海商业银行股份有限公司", contact="周敏 021-68800000", cii=True, city="上海",
                          systems=["核心银行系统", "网上银行系统", "手机银行 App 后台", "支付清算前置系统",
                                   "信用卡审批系统", "客户信息管理系统（CRM）"]),
}
USER_WEIGHTS = {"reporter": 3, "reporter-mwr": 1, "reporter-bj": 2, "reporter-jc": 1, "reporter-sh": 1, "reporter-bank": 2}

# Incident families: categories (GB/T 20986-2023 code or name), facts that fit, words for the text.
FAMILIES = [
    dict(name="ransomware", cats=["MPRANS", "勒索软件事件"], facts=["cii_outage_min", "cii_main_function_outage_min",
         "direct_loss_cny", "people_affected"], ransom=True,
         title=["{sys}遭勒索软件加密", "勒索病毒感染{sys}", "{sys}文件被加密并收到勒索信"],
         impact=["{sys}服务器文件被加密，扩展名被改为 .locked，业务中断", "部分数据库文件被加密，业务系统无法登录"],
         cause=["攻击者利用远程桌面弱口令登录跳板机后横向移动", "员工打开带宏的钓鱼邮件附件，勒索程序落地执行"]),
    dict(name="malware", cats=["MPEVIR", "MPWORM", "MPTROJ", "MPZOMB", "MPMINER", "MPHYBR", "网络蠕虫事件"],
         facts=["cii_main_function_outage_min", "people_affected", "direct_loss_cny"],
         title=["{sys}发现木马程序", "{sys}感染蠕虫病毒", "{sys}主机被植入挖矿程序", "{sys}主机被控成为僵尸网络节点"],
         impact=["多台主机 CPU 占用持续 100%，业务响应明显变慢", "终端防护告警，发现异常外联行为"],
         cause=["未及时安装安全补丁", "供应商运维终端携带恶意程序接入内网"]),
    dict(name="attack", cats=["NAEXPLOIT", "NABACKDOOR", "NACRED", "NAAPT", "NASUPPLY", "NAHACKED", "APT事件"],
         facts=["pi_leaked_persons", "direct_loss_cny", "cii_main_function_outage_min", "people_affected"],
         title=["{sys}遭漏洞利用攻击", "{sys}疑遭 APT 组织渗透", "{sys}凭据被暴力破解", "{sys}发现后门程序"],
         impact=["攻击者获取了服务器权限并尝试横向移动", "发现异常管理员账号，部分配置被修改"],
         cause=["中间件存在未修复的远程代码执行漏洞", "第三方组件供应链被投毒"]),
    dict(name="dos", cats=["NADOS", "拒绝服务事件"], facts=["cii_outage_min", "people_affected", "portal_outage_min"],
         title=["{sys}遭分布式拒绝服务攻击", "{sys}遭 DDoS 攻击无法访问"],
         impact=["入口带宽被占满，对外服务中断", "用户访问超时，投诉量激增"],
         cause=["攻击流量峰值约 300 Gbps，来源为境外僵尸网络", "清洗设备容量不足"]),
    dict(name="content", cats=["NAWEBMOD", "NALINK", "ICFAKENEWS", "ICRADICAL", "网页篡改事件"],
         facts=["content_homepage_min", "content_other_page_min", "content_reposts", "content_views"],
         title=["{sys}首页被篡改", "{sys}被植入暗链", "{sys}出现违法有害信息"],
         impact=["首页被替换为违法有害信息并被转发", "多个栏目页面被植入博彩暗链"],
         cause=["内容管理系统后台弱口令", "编辑器上传组件存在漏洞"]),
    dict(name="data", cats=["DSDATALEAK", "DSDATASTEAL", "DSDATAALTER", "DSPRIVACY", "数据泄露事件"],
         facts=["pi_leaked_persons", "direct_loss_cny", "people_affected"],
         title=["{sys}疑似发生个人信息泄露", "{sys}数据被窃取并在境外论坛出售", "{sys}数据遭篡改"],
         impact=["境外暗网论坛出现疑似本单位用户数据样本", "数据库审计发现大批量异常导出"],
         cause=["对象存储桶配置为公开读", "接口缺少鉴权，被批量遍历"]),
    dict(name="fault", cats=["DETECH", "DEACCFAC", "ROPMISTAKE", "ROPABUSE", "FOCDISASTER", "技术故障事件"],
         facts=["cii_outage_min", "cii_main_function_outage_min", "people_affected", "city_population_pct", "direct_loss_cny"],
         title=["{sys}因故障中断运行", "误操作导致{sys}服务中断", "暴雨导致机房停电，{sys}中断"],
         impact=["主备切换失败，服务中断", "存储阵列故障导致数据库不可用"],
         cause=["变更操作未按流程复核", "机房 UPS 故障后柴油发电机未能及时启动"]),
    dict(name="hazard", cats=["SHEVULN", "SHECONFIG", "ABACCESS", "ABTRAFFIC", "NASCAN", "NAPHISH"],
         facts=["people_affected", "direct_loss_cny"],
         title=["{sys}发现高危漏洞", "{sys}出现异常访问流量", "员工收到仿冒{sys}的钓鱼邮件"],
         impact=["暂未发现数据泄露，存在被利用风险", "部分员工在钓鱼页面输入了账号口令"],
         cause=["默认配置未修改", "邮件网关未拦截仿冒域名"]),
]
FAMILY_WEIGHTS = [3, 2, 2, 2, 2, 2, 3, 2]

FILLER = {
    "place": ["{city}主数据中心 A 栋 3 层机房", "{city}灾备中心", "总部办公网及生产网交界区域", "云上 VPC（华东区域）"],
    "measures_taken": ["断开受影响主机网络连接，封禁恶意 IP 地址", "启用备用系统接管业务，重置全部特权账号口令",
                       "保留日志和内存镜像，联系安全服务商进场处置", "在边界防火墙增加访问控制策略，关闭高危端口"],
    "measures_effect": ["主要业务已恢复，仍在排查残留", "异常流量已下降，正在监测", "暂未完全恢复，预计 4 小时内恢复"],
    "development": ["攻击者可能仍保留其他访问途径，存在再次攻击的风险", "若数据被公开，可能引发用户投诉和二次诈骗",
                    "事态总体可控，正在评估对上下游单位的影响"],
    "cause": ["初步判断为外部攻击所致，具体入侵路径仍在分析", "初步分析为配置错误叠加漏洞未修补"],
    "attacker": ["攻击源 IP 分布于多个境外云服务商", "勒索信署名为已知勒索团伙", "暂未确定攻击者身份"],
    "attack_path": ["互联网 → VPN 网关 → 跳板机 → 业务服务器", "钓鱼邮件 → 办公终端 → 域控服务器 → 业务网段"],
    "vulnerabilities": ["VPN 网关存在已公开的远程代码执行漏洞", "部分服务器使用弱口令且未启用多因素认证"],
    "further_measures": ["全网排查同类漏洞并加固，开展失陷检测", "完善备份策略，实施离线备份",
                         "对相关人员开展安全意识培训"],
    "support_requested": ["请求属地网信部门协调技术支撑单位协助溯源", "请求公安机关协助调查", "暂无"],
    "scene_preservation": ["已对受影响主机制作磁盘镜像并封存", "相关日志已导出并计算哈希值留存"],
    "other": ["已向行业主管部门同步报告", "事件处置过程中未发现人员伤亡"],
}
FILLER_KEYS = list(FILLER)
LONG_TEXT = ("经初步排查，{unit}安全运营中心于发现时间前后收到多条告警，值班人员确认后立即启动应急预案，"
             "成立由分管领导牵头的应急处置小组，组织网络、系统、安全和业务部门协同处置。处置过程中对{sys}的"
             "访问日志、系统日志、安全设备告警进行了全面收集和关联分析，初步还原了攻击时间线，并对同网段其他资产"
             "开展了排查。")


def load_criteria(path):
    pack = json.load(open(path, encoding="utf-8"))
    crit = [c for c in pack["criteria"] if c.get("op") == ">="]
    return pack["facts"], crit


def grade_of(facts, criteria):
    """The Annex grade from numeric criteria: any criterion suffices, highest level wins (as the engine)."""
    best = 0
    for c in criteria:
        v = facts.get(c["fact"])
        if not isinstance(v, (int, float)):
            continue
        when = c.get("when") or {}
        if any(facts.get(k) not in allowed for k, allowed in when.items()):
            continue
        if v >= c["threshold"]:
            best = max(best, LEVELS.index(c["level"]))
    return best


def thresholds(criteria, fact, tier_key=None, tier=None):
    """{level_rank: threshold} of the criteria on `fact` that apply (with the tier, if the fact needs one)."""
    out = {}
    for c in criteria:
        if c["fact"] != fact:
            continue
        when = c.get("when") or {}
        if when and (tier_key not in when or tier not in when[tier_key]):
            continue
        out[LEVELS.index(c["level"])] = c["threshold"]
    return out


def value_for(rng, th, level, maxv):
    """A value of a fact that meets exactly `level` (0 = below every threshold)."""
    lo = 0 if level == 0 else th[level]
    nxt = [th[k] for k in th if k > level]
    hi = min(nxt) if nxt else min(maxv, lo * 3)
    if level == 0:
        hi = th[min(th)] if th else 100
    v = rng.uniform(lo, hi)
    v = math.floor(v) if level == 0 else math.ceil(v)
    v = max(v, lo)
    if nxt and v >= min(nxt):
        v = min(nxt) - 1
    return int(min(v, maxv))


TIER_FACTS = {"portal_outage_min": ("portal_tier", ["provincial", "central_news", "prefecture", "key_news"]),
              "content_homepage_min": ("content_site_tier", None), "content_other_page_min": ("content_site_tier", None),
              "content_reposts": ("content_site_tier", None), "content_views": ("content_site_tier", None)}


def make_facts(rng, fam, op, level, fact_decl, criteria):
    """Facts for family `fam` whose grade is `level`; returns (facts, tier_used)."""
    names = [f for f in fam["facts"] if not (f.startswith("cii_") and not op.get("cii"))
             and not (f == "portal_outage_min" and not op.get("portal"))]
    rng.shuffle(names)
    facts, tiered = {}, False
    # The first fact carries the grade; up to two more stay at or below it.
    for i, f in enumerate(names[: rng.randint(1, 3)]):
        lv = level if i == 0 else rng.randint(0, level)
        tkey, tiers = TIER_FACTS.get(f, (None, None))
        tier = None
        if tkey:
            if tkey in facts:
                tier = facts[tkey]
            else:
                tiers = tiers or fact_decl[tkey]["values"]
                ok = [t for t in tiers if lv in thresholds(criteria, f, tkey, t) or lv == 0]
                tier = rng.choice(ok or tiers)
        th = thresholds(criteria, f, tkey, tier)
        if not th:
            continue
        if lv not in th and lv != 0:
            lv = max(k for k in th if k <= lv) if any(k <= lv for k in th) else 0
        facts[f] = value_for(rng, th, lv, fact_decl[f].get("max", 1e15))
        if tkey:
            facts[tkey] = tier
            tiered = True
    return facts, tiered


def rfc3339(t):
    return t.astimezone(TZ).strftime("%Y-%m-%dT%H:%M:%S+08:00")


def fill_to(rng, doc, target, op, sysname):
    """Adds optional art. 7 items (and longer prose) to doc["content"] until the body reaches about `target` bytes."""
    content = doc["content"]

    def size():
        return len(json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode())
    keys = FILLER_KEYS[:]
    rng.shuffle(keys)
    for k in keys:
        if size() >= target:
            return
        if k not in content:
            content[k] = rng.choice(FILLER[k]).format(city=op["city"], unit=op["unit"], sys=sysname)
    k = "other" if "other" in content else keys[0]
    while size() < target:
        room = target - size()
        extra = LONG_TEXT.format(unit=op["unit"], sys=sysname)
        b = extra.encode()
        if len(b) > room:
            extra = b[: max(room, 3)].decode("utf-8", "ignore")
            if not extra:
                return
        content[k] += extra


def make_report(rng, now, fact_decl, criteria):
    user = rng.choices(list(USER_WEIGHTS), weights=list(USER_WEIGHTS.values()))[0]
    op = OPERATORS[user]
    fam = rng.choices(FAMILIES, weights=FAMILY_WEIGHTS)[0]
    level = rng.choices([0, 1, 2, 3], weights=[40, 30, 20, 10])[0]
    sysname = rng.choice(op["systems"])
    facts, tiered = make_facts(rng, fam, op, level, fact_decl, criteria)
    if level == 0 and rng.random() < 0.3:
        facts = {}
    aware = now - dt.timedelta(minutes=rng.randint(5, 600), seconds=rng.randint(0, 59))
    doc = {"title": rng.choice(fam["title"]).format(sys=sysname)[:60], "aware_at": rfc3339(aware)}
    if rng.random() < 0.7:
        doc["occurred_at"] = rfc3339(aware - dt.timedelta(minutes=rng.randint(0, 720)))
    doc["category"] = rng.choice(fam["cats"])
    if fam.get("ransom"):
        facts["ransom"] = {"amount": rng.choice([2, 5, 10, 30, 50, 120]) if rng.random() < 0.6 else rng.randint(5, 500) * 10000,
                           "currency": rng.choice(["BTC", "USDT", "XMR", "CNY"]),
                           "method": rng.choice(["比特币钱包", "USDT（TRC20）地址", "门罗币钱包", "勒索信中的 Tor 网站"]),
                           "demanded_at": rfc3339(aware - dt.timedelta(minutes=rng.randint(0, 60)))}
        if facts["ransom"]["currency"] != "CNY" and facts["ransom"]["amount"] > 1000:
            facts["ransom"]["amount"] = rng.randint(1, 200)
    if facts:
        doc["facts"] = facts
    grade = grade_of(facts, criteria)
    if rng.random() < 0.15:
        doc["suspected_crime"] = True
    if rng.random() < 0.05 and grade < 3:
        grade = rng.randint(grade + 1, 3)
        doc["declared_grade"] = LEVELS[grade]
        doc["declared_reason"] = "涉及重要数据，经本单位网络安全领导小组研判，按更高级别报告"
    target = int(math.exp(rng.uniform(math.log(200), math.log(4096))))
    terse = target < 600  # a terse first report: items 1-2 only, as short as they come
    content = {"reporting_unit": op["unit"], "contact": op["contact"].split()[-1] if terse else op["contact"],
               "affected_system": sysname if terse else f"{sysname}（{op['unit']}），部署于{op['city']}",
               "impact": "业务中断" if terse else rng.choice(fam["impact"]).format(sys=sysname)}
    if not terse and rng.random() < 0.7:
        content["cause"] = rng.choice(fam["cause"])
    doc["content"] = content
    fill_to(rng, doc, target, op, sysname)
    body = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    return user, body, grade, fam["name"], tiered, "ransom" in facts


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rules", default="rules/cn-2025.json")
    ap.add_argument("--out", required=True)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=20251101)
    a = ap.parse_args()
    fact_decl, criteria = load_criteria(a.rules)
    rng = random.Random(a.seed)
    now = dt.datetime.now(TZ)
    rows = [make_report(rng, now, fact_decl, criteria) for _ in range(a.n)]
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "bodies.tsv"), "w", encoding="utf-8") as f:
        for user, body, *_ in rows:
            assert "\n" not in body and "\t" not in user
            f.write(f"{user}\t{body}\n")
    # The sample the run script posts with curl before the benchmark.
    pick = {}
    for i, (user, body, grade, fam, tiered, ransom) in enumerate(rows):
        pick.setdefault(f"grade {LEVELS[grade]}", i)
        pick.setdefault(f"family {fam}", i)
        pick.setdefault(f"user {user}", i)
        if tiered:
            pick.setdefault("tier-conditioned fact", i)
        if ransom:
            pick.setdefault("ransom", i)
    sizes = [len(r[1].encode()) for r in rows]
    pick["smallest"] = sizes.index(min(sizes))
    pick["largest"] = sizes.index(max(sizes))
    for k in range(4):
        pick[f"random {k}"] = rng.randrange(len(rows))
    why_by_line = {}
    for why, i in pick.items():
        why_by_line.setdefault(i, []).append(why)
    with open(os.path.join(a.out, "sample.tsv"), "w", encoding="utf-8") as f:
        for i in sorted(why_by_line):
            f.write(f"{i + 1}\t{rows[i][0]}\t{LEVELS[rows[i][2]]}\t{sizes[i]}\t{', '.join(why_by_line[i])}\n")
    grades = [0] * 4
    for r in rows:
        grades[r[2]] += 1
    sizes.sort()
    print(f"gen_reports: {len(rows)} reports, grades " + " ".join(f"{LEVELS[g]}={grades[g]}" for g in range(4))
          + f", {sum(r[5] for r in rows)} with ransom, {len({json.loads(r[1])['category'] for r in rows})} categories, "
          f"body bytes min/median/max {sizes[0]}/{sizes[len(sizes) // 2]}/{sizes[-1]}", file=sys.stderr)


if __name__ == "__main__":
    main()
