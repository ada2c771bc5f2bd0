"""The supply-chain demo's catalogue: key inputs by sector and their (fictional) suppliers.

Every supplier here is made up; the names follow the patterns of real ones (a Liaoning mine,
an Australian iron-ore exporter, a German bearing maker) so that the register reads like one.
The domestic suppliers get valid USCCs from their organisation code body and region.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Supplier:
    name: str
    country: str
    body: str = ""  # organisation code body of a Chinese supplier's USCC
    region: str = ""  # its registration region (GB/T 2260)
    aliases: tuple[str, ...] = ()  # other ways enterprises write its name


@dataclass(frozen=True)
class InputSpec:
    name: str
    category: str
    criticality: str
    unit: str
    volume: tuple[int, int]  # annual volume, from and to
    price_wan: float  # 万元 per unit
    domestic_alternative: bool
    suppliers: tuple[str, ...]  # keys of SUPPLIERS, the usual ones first
    plan: str
    many: bool = False  # a commodity some enterprises buy from many suppliers


SUPPLIERS: dict[str, Supplier] = {
    # Iron ore
    "pilbara": Supplier(
        "Pilbara Ridge Iron Ore Pty Ltd", "AU", aliases=("PILBARA RIDGE IRON ORE", "皮尔巴拉岭铁矿")
    ),
    "hamersley": Supplier("Hamersley Basin Mining Ltd", "AU"),
    "minas": Supplier("Minas Serra Mineração S.A.", "BR", aliases=("Minas Serra Mineracao SA",)),
    "kumba": Supplier("Kumba Valley Iron Ore Ltd", "ZA"),
    "hengda": Supplier("鞍山恒达矿业有限公司", "CN", "GY100001", "210300"),
    "tiefeng": Supplier("本溪铁峰矿业有限公司", "CN", "GY100002", "210500"),
    "anliao": Supplier("辽阳鞍辽矿业有限公司", "CN", "GY100010", "211000"),
    "chaoyang_ore": Supplier("朝阳北山铁矿有限公司", "CN", "GY100011", "211300"),
    # Coking and thermal coal
    "fenlan": Supplier("吕梁汾岚焦煤有限公司", "CN", "GY100003", "141100"),
    "qitai": Supplier("黑龙江七台岭煤业有限公司", "CN", "GY100004", "230900"),
    "gobi": Supplier("Gobi Tavan Coking Coal LLC", "MN"),
    "bowen": Supplier("Bowen Ridge Coal Pty Ltd", "AU"),
    "suixi": Supplier("淮北濉溪焦煤有限公司", "CN", "GY100012", "340600"),
    "qianxi": Supplier("六盘水黔西焦煤有限公司", "CN", "GY100013", "520200"),
    "yingcheng": Supplier("平顶山鹰城焦煤有限公司", "CN", "GY100014", "410400"),
    "yijin": Supplier("鄂尔多斯伊金动力煤有限公司", "CN", "GY100015", "150600"),
    "xinqiu": Supplier("阜新新邱煤业有限公司", "CN", "GY100016", "210900"),
    "jungar": Supplier("内蒙古准东煤炭运销有限公司", "CN", "GY100017", "150600"),
    "huolin": Supplier("内蒙古霍林河岭煤炭有限公司", "CN", "GY100005", "150500"),
    "tiefa": Supplier("铁岭铁法东煤业有限公司", "CN", "GY100006", "211200"),
    # Graphite electrodes
    "tancheng": Supplier("兰州炭城石墨有限公司", "CN", "GY100007", "620100"),
    "graftland": Supplier("Graftland Electrodes Inc.", "US"),
    "kansai_carbon": Supplier("Kansai Carbon Works K.K.", "JP"),
    # Ferroalloys
    "sulawesi": Supplier("PT Sulawesi Nickel Smelting", "ID"),
    "hexi": Supplier("甘肃河西镍业有限公司", "CN", "GY100008", "620300"),
    "chengde_v": Supplier("承德钒源合金有限公司", "CN", "GY100009", "130800"),
    # Refractories
    "qingshan": Supplier("营口青山镁业有限公司", "CN", "GY10000A", "210800"),
    "haicheng": Supplier("海城菱镁耐材有限公司", "CN", "GY10000B", "210300"),
    "dashiqiao": Supplier("大石桥金镁耐火材料有限公司", "CN", "GY100018", "210800"),
    "xiuyan": Supplier("岫岩辉石矿业有限公司", "CN", "GY100019", "210300"),
    "kuandian": Supplier("宽甸耐材制品有限公司", "CN", "GY10001A", "210600"),
    # Natural gas and LNG
    "liaodong_gas": Supplier(
        "辽东燃气管网有限公司", "CN", "GY10000C", "210100", aliases=("辽东燃气管网",)
    ),  # fmt: skip
    "qatar_bay": Supplier("Qatar Bay LNG Marketing Co.", "QA"),
    "liaoxi_gas": Supplier("盘锦辽西燃气有限公司", "CN", "GY10001B", "211100"),
    "sakhalin": Supplier("Sakhalin Eastern LNG LLC", "RU"),
    # Crude oil
    "gulf_horizon": Supplier("Gulf Horizon Petroleum Marketing Co.", "SA"),
    "basra": Supplier("Basra Crescent Oil Trading", "IQ"),
    "volga": Supplier("Volga Baltic Oil Export LLC", "RU"),
    "oman_coast": Supplier("Oman Coast Crude Marketing", "OM"),
    "boliao": Supplier("渤辽油气开发有限公司", "CN", "GY10000M", "211100"),
    # Catalysts
    "rhein_kat": Supplier("Rhein Katalysator GmbH", "DE"),
    "gulf_coast_cat": Supplier("Gulf Coast Catalyst Technologies Inc.", "US"),
    "huacui": Supplier("抚顺华催新材料有限公司", "CN", "GY10000D", "210400"),
    # Control systems and industrial software
    "bayern_auto": Supplier("Bayern Automation AG", "DE", aliases=("BAYERN AUTOMATION",)),
    "lake_erie": Supplier("Lake Erie Controls Inc.", "US"),
    "kyoto_fs": Supplier("Kyoto Factory Systems K.K.", "JP"),
    "hengtuo": Supplier("杭州衡拓自动化有限公司", "CN", "GY10000E", "330100"),
    "atlantic_cad": Supplier("Atlantic Design Software Inc.", "US"),
    "paris_sim": Supplier("Paris Simulation Systèmes SA", "FR"),
    "shuwei": Supplier("北京数维工业软件有限公司", "CN", "GY10000F", "110100"),
    # Chips
    "rhein_mcu": Supplier("Rhein Microcontrollers GmbH", "DE"),
    "pacific_semi": Supplier("Pacific Semicon Inc.", "US"),
    "formosa": Supplier("Formosa Chip Foundry Co., Ltd.", "TW"),
    "hanriver": Supplier("Han River Semiconductor Co., Ltd.", "KR"),
    "xinlian": Supplier("无锡芯联微电子有限公司", "CN", "GY10000G", "320200"),
    # Bearings
    "schwaben": Supplier("Schwaben Präzisionslager GmbH", "DE"),
    "nordisk": Supplier("Nordisk Kullager AB", "SE"),
    "kansai_seiko": Supplier("Kansai Seiko Bearing K.K.", "JP"),
    "zhongyue": Supplier("洛阳中岳轴承有限公司", "CN", "GY10000H", "410300"),
    # Steel plate and machine tools for equipment makers
    "jiangnan": Supplier("江南特钢板材有限公司", "CN", "GY10000J", "320500"),
    "bayuquan": Supplier("营口鲅鱼圈钢板有限公司", "CN", "GY10001C", "210800"),
    "beifang_jc": Supplier("沈阳北方数控机床有限公司", "CN", "GY10000K", "210100"),
    "lombardia": Supplier("Lombardia Macchine Utensili S.p.A.", "IT"),
    "bayern_wzm": Supplier("Bayern Werkzeugmaschinen GmbH", "DE"),
    # Gas turbine parts for power plants
    "ohio_turbine": Supplier("Ohio Turbine Parts Inc.", "US"),
    "harbin_hot": Supplier("哈尔滨热端部件有限公司", "CN", "GY10000L", "230100"),
    "bohai_jx": Supplier("大连渤海检修工程有限公司", "CN", "GY10001D", "210200"),
}

INPUTS: dict[str, InputSpec] = {
    "iron_ore": InputSpec("铁矿石", "raw_material", "critical", "万吨", (60, 900), 850, False,
                          ("pilbara", "hengda", "hamersley", "minas", "tiefeng", "anliao", "kumba",
                           "chaoyang_ore"),
                          "提高国内精矿采购比例至40%，与两家境外矿山续签长协，维持45天安全库存。",
                          many=True),
    "coking_coal": InputSpec("主焦煤", "raw_material", "critical", "万吨", (30, 400), 1800, True,
                             ("fenlan", "gobi", "qitai", "suixi", "bowen", "qianxi", "yingcheng"),
                             "新增一家国内主焦煤长协供应商，蒙古煤采购比例控制在30%以内。",
                             many=True),
    "graphite_electrode": InputSpec("超高功率石墨电极", "raw_material", "important", "吨",
                                    (800, 12000), 2.2, True,
                                    ("tancheng", "graftland", "kansai_carbon"),
                                    "完成国产电极工业试验，年内国产化率提高到80%。"),
    "ferroalloy": InputSpec("镍铁合金", "raw_material", "important", "吨", (500, 8000), 1.5,
                            False, ("sulawesi", "hexi", "chengde_v"),
                            "拓展国内合金供应渠道，建立镍价套期保值机制。"),
    "magnesia": InputSpec("镁质耐火材料", "raw_material", "general", "吨", (2000, 30000), 0.45,
                          True, ("qingshan", "haicheng", "dashiqiao", "xiuyan", "kuandian"),
                          "保持多家本地供应商，按季度招标。", many=True),
    "natural_gas": InputSpec("天然气", "energy", "critical", "万立方米", (500, 30000), 3.2, True,
                             ("liaodong_gas", "liaoxi_gas", "qatar_bay", "sakhalin"),
                             "与管网公司签订保供协议，增建LNG储罐作为调峰气源。"),
    "crude_oil": InputSpec("原油", "raw_material", "critical", "万吨", (100, 1200), 4200, False,
                           ("gulf_horizon", "basra", "volga", "oman_coast", "boliao"),
                           "原油来源扩大到四个以上国家，单一来源占比不超过35%，保持30天商业储备。"),
    "catalyst": InputSpec("加氢裂化催化剂", "key_component", "critical", "吨", (50, 2000), 18,
                          True, ("rhein_kat", "gulf_coast_cat", "huacui"),
                          "完成国产催化剂工业应用试验，下一周期换剂采用国产催化剂。"),
    "dcs": InputSpec("DCS控制系统", "software_it", "critical", "套", (5, 120), 60, True,
                     ("bayern_auto", "lake_erie", "hengtuo"),
                     "新建装置采用国产DCS，存量系统分批替换，备品备件储备一年用量。"),
    "plc": InputSpec("PLC及工业控制软件", "software_it", "critical", "套", (10, 400), 12, True,
                     ("bayern_auto", "kyoto_fs", "hengtuo", "lake_erie"),
                     "关键产线PLC国产替代试点，建立控制程序自主备份。"),
    "chips": InputSpec("工控芯片（MCU/IGBT）", "key_component", "critical", "万片", (5, 300),
                       25, False, ("rhein_mcu", "pacific_semi", "formosa", "hanriver", "xinlian"),
                       "完成国产MCU验证，关键型号储备六个月用量。"),
    "bearings": InputSpec("高端精密轴承", "key_component", "critical", "套", (200, 20000), 0.8,
                          False, ("schwaben", "nordisk", "kansai_seiko", "zhongyue"),
                          "与国内轴承企业联合攻关，完成两个型号的装机验证。"),
    "cad_cae": InputSpec("CAD/CAE工业软件", "software_it", "important", "套", (10, 400), 12,
                         True, ("atlantic_cad", "paris_sim", "shuwei"),
                         "设计部门试用国产CAD，新项目国产软件使用率达到30%。"),
    "steel_plate": InputSpec("特种钢板", "raw_material", "important", "万吨", (1, 30), 5000,
                             True, ("jiangnan", "bayuquan"), "引入省内钢铁企业作为第二供应商。"),
    "cnc": InputSpec("五轴数控机床", "equipment", "important", "台", (2, 40), 380, False,
                     ("lombardia", "bayern_wzm", "beifang_jc"),
                     "新购机床优先采购国产五轴机床，关键数控系统备件储备。"),
    "thermal_coal": InputSpec("动力煤", "energy", "critical", "万吨", (50, 600), 900, True,
                              ("huolin", "tiefa", "yijin", "xinqiu", "jungar", "bowen"),
                              "签订年度长协，存煤保持20天以上。", many=True),
    "turbine_parts": InputSpec("燃机热端部件", "key_component", "critical", "套", (2, 20), 900,
                               False, ("ohio_turbine", "harbin_hot"),
                               "推进热端部件国产化修复，与国内厂家签订维修服务协议。"),
    "maintenance": InputSpec("大型设备检修服务", "service", "general", "次", (4, 40), 150, True,
                             ("bohai_jx", "beifang_jc", "hengtuo"),
                             "培养自有检修队伍，关键设备检修能力自主。"),
}  # fmt: skip

# Sectors by industry code (GB/T 4754 division, the enterprise's first three characters; a coke
# plant is "coking"), with the inputs each draws from, the usual ones first.
SECTORS: dict[str, tuple[str, ...]] = {
    "C31": ("iron_ore", "coking_coal", "graphite_electrode", "ferroalloy", "magnesia",
            "natural_gas", "plc"),
    "coking": ("coking_coal", "natural_gas", "plc", "maintenance"),
    "C30": ("magnesia", "natural_gas", "plc"),
    "C25": ("crude_oil", "catalyst", "dcs", "natural_gas"),
    "C26": ("catalyst", "natural_gas", "dcs", "crude_oil"),
    "C34": ("bearings", "chips", "plc", "cad_cae", "steel_plate", "cnc"),
    "C35": ("bearings", "chips", "plc", "steel_plate", "cnc", "cad_cae"),
    "C38": ("chips", "bearings", "cad_cae", "plc", "steel_plate"),
    "D44": ("thermal_coal", "natural_gas", "turbine_parts", "dcs", "maintenance"),
}  # fmt: skip
