"""Countries and regions of suppliers: the ISO 3166-1 alpha-2 codes, and names for the ones
suppliers of Chinese enterprises usually come from (any other code is shown as itself).

The codes are the 249 officially assigned alpha-2 codes of ISO 3166-1. Hong Kong, Macao and
Taiwan keep their own codes (HK, MO, TW) and are named as regions of China.
"""

from django.utils.translation import gettext_lazy as _

CODES = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
    DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS
    GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
    KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
    PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
    VN VU WF WS YE YT ZA ZM ZW
    """.split()
)

NAMES = {
    "CN": _("China"),
    "HK": _("Hong Kong, China"),
    "MO": _("Macao, China"),
    "TW": _("Taiwan, China"),
    "AE": _("United Arab Emirates"),
    "AO": _("Angola"),
    "AT": _("Austria"),
    "AU": _("Australia"),
    "BE": _("Belgium"),
    "BR": _("Brazil"),
    "CA": _("Canada"),
    "CD": _("DR Congo"),
    "CH": _("Switzerland"),
    "CL": _("Chile"),
    "DE": _("Germany"),
    "DK": _("Denmark"),
    "ES": _("Spain"),
    "FI": _("Finland"),
    "FR": _("France"),
    "GB": _("United Kingdom"),
    "GN": _("Guinea"),
    "ID": _("Indonesia"),
    "IL": _("Israel"),
    "IN": _("India"),
    "IQ": _("Iraq"),
    "IT": _("Italy"),
    "JP": _("Japan"),
    "KR": _("Republic of Korea"),
    "KW": _("Kuwait"),
    "KZ": _("Kazakhstan"),
    "MN": _("Mongolia"),
    "MX": _("Mexico"),
    "MY": _("Malaysia"),
    "MZ": _("Mozambique"),
    "NL": _("Netherlands"),
    "NO": _("Norway"),
    "NZ": _("New Zealand"),
    "OM": _("Oman"),
    "PE": _("Peru"),
    "PH": _("Philippines"),
    "QA": _("Qatar"),
    "RU": _("Russia"),
    "SA": _("Saudi Arabia"),
    "SE": _("Sweden"),
    "SG": _("Singapore"),
    "TH": _("Thailand"),
    "UA": _("Ukraine"),
    "US": _("United States"),
    "VN": _("Viet Nam"),
    "ZA": _("South Africa"),
}


def normalise_country(value: str) -> str:
    return (value or "").strip().upper()


def is_country(code: str) -> bool:
    return code in CODES


def country_name(code: str) -> str:
    """The country's or region's name in the active language, or the code itself."""
    name = NAMES.get(code)
    return str(name) if name is not None else code
