//! The 31 provincial-level divisions of docs/rulebook.md §2.1: name, ICP prefix, accepted PSB
//! prefixes and GB/T 2260 code, and the lookup of a manifest's `province` value. The only
//! place the prefix characters are spelled: the grammars and the rules derive theirs from
//! [`PROVINCES`].

/// One provincial-level division.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Province {
    /// Chinese short name (江苏).
    pub name: &'static str,
    /// Pinyin (Jiangsu).
    pub pinyin: &'static str,
    /// ICP prefix character (苏).
    pub icp: char,
    /// PSB prefix characters accepted for its code, the usual one first.
    pub psb: &'static [char],
    /// GB/T 2260 code: the first two digits of a PSB number.
    pub code: &'static str,
}

const fn p(
    name: &'static str,
    pinyin: &'static str,
    icp: char,
    psb: &'static [char],
    code: &'static str,
) -> Province {
    Province {
        name,
        pinyin,
        icp,
        psb,
        code,
    }
}

/// §2.1, in table order.
pub const PROVINCES: &[Province] = &[
    p("北京", "Beijing", '京', &['京'], "11"),
    p("天津", "Tianjin", '津', &['津'], "12"),
    p("河北", "Hebei", '冀', &['冀'], "13"),
    p("山西", "Shanxi", '晋', &['晋'], "14"),
    p("内蒙古", "Inner Mongolia", '蒙', &['蒙'], "15"),
    p("辽宁", "Liaoning", '辽', &['辽'], "21"),
    p("吉林", "Jilin", '吉', &['吉'], "22"),
    p("黑龙江", "Heilongjiang", '黑', &['黑'], "23"),
    p("上海", "Shanghai", '沪', &['沪'], "31"),
    p("江苏", "Jiangsu", '苏', &['苏'], "32"),
    p("浙江", "Zhejiang", '浙', &['浙'], "33"),
    p("安徽", "Anhui", '皖', &['皖'], "34"),
    p("福建", "Fujian", '闽', &['闽'], "35"),
    p("江西", "Jiangxi", '赣', &['赣'], "36"),
    p("山东", "Shandong", '鲁', &['鲁'], "37"),
    p("河南", "Henan", '豫', &['豫'], "41"),
    p("湖北", "Hubei", '鄂', &['鄂'], "42"),
    p("湖南", "Hunan", '湘', &['湘'], "43"),
    p("广东", "Guangdong", '粤', &['粤'], "44"),
    p("广西", "Guangxi", '桂', &['桂'], "45"),
    p("海南", "Hainan", '琼', &['琼'], "46"),
    p("重庆", "Chongqing", '渝', &['渝'], "50"),
    p("四川", "Sichuan", '蜀', &['川', '蜀'], "51"),
    p("贵州", "Guizhou", '黔', &['贵', '黔'], "52"),
    p("云南", "Yunnan", '滇', &['滇', '云'], "53"),
    p("西藏", "Tibet", '藏', &['藏'], "54"),
    p("陕西", "Shaanxi", '陕', &['陕'], "61"),
    p("甘肃", "Gansu", '陇', &['甘'], "62"),
    p("青海", "Qinghai", '青', &['青'], "63"),
    p("宁夏", "Ningxia", '宁', &['宁'], "64"),
    p("新疆", "Xinjiang", '新', &['新'], "65"),
];

/// The province a manifest value names: the ICP prefix (苏), the Chinese name with or without
/// 省/市/自治区 (江苏省), the pinyin in any case (jiangsu), or the code (32).
pub fn province(value: &str) -> Option<&'static Province> {
    let v = value.trim();
    let bare = [
        "维吾尔自治区",
        "壮族自治区",
        "回族自治区",
        "自治区",
        "省",
        "市",
    ]
    .iter()
    .find_map(|s| v.strip_suffix(s))
    .unwrap_or(v);
    PROVINCES.iter().find(|p| {
        let mut chars = bare.chars();
        let single = match (chars.next(), chars.next()) {
            (Some(c), None) => Some(c),
            _ => None,
        };
        single == Some(p.icp)
            || bare == p.name
            || bare.eq_ignore_ascii_case(p.pinyin)
            || bare
                .replace(' ', "")
                .eq_ignore_ascii_case(&p.pinyin.replace(' ', ""))
            || bare == p.code
    })
}

/// The province whose ICP prefix is `c`.
pub fn by_icp_prefix(c: char) -> Option<&'static Province> {
    PROVINCES.iter().find(|p| p.icp == c)
}

/// The province code (GB/T 2260 first two digits) → accepted PSB prefix characters.
pub fn psb_prefixes_for_code(code: &str) -> Option<&'static [char]> {
    PROVINCES.iter().find(|p| p.code == code).map(|p| p.psb)
}

/// A PSB prefix that some sites write in front of `ICP` but that is no ICP prefix (川 for
/// 蜀, 贵 for 黔, 云 for 滇, 甘 for 陇): the ICP prefix it stands for.
pub fn wrong_icp_alias(c: char) -> Option<char> {
    if by_icp_prefix(c).is_some() {
        return None;
    }
    PROVINCES.iter().find(|p| p.psb.contains(&c)).map(|p| p.icp)
}

/// Every canonical ICP prefix, in table order.
pub fn icp_prefixes() -> impl Iterator<Item = char> {
    PROVINCES.iter().map(|p| p.icp)
}

/// Every PSB prefix, the alternates included (川 and 蜀 …).
pub fn psb_prefixes() -> impl Iterator<Item = char> {
    PROVINCES.iter().flat_map(|p| p.psb.iter().copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_spellings() {
        for v in [
            "苏",
            "江苏",
            "江苏省",
            "Jiangsu",
            "JIANGSU",
            " jiangsu ",
            "32",
        ] {
            assert_eq!(province(v).map(|p| p.icp), Some('苏'), "{v}");
        }
        assert_eq!(province("内蒙古自治区").map(|p| p.icp), Some('蒙'));
        assert_eq!(province("InnerMongolia").map(|p| p.icp), Some('蒙'));
        assert_eq!(province("北京市").map(|p| p.icp), Some('京'));
        assert_eq!(province("广西壮族自治区").map(|p| p.icp), Some('桂'));
        for bad in ["", "Atlantis", "江", "99", "川"] {
            assert!(province(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn table_is_the_spec_table() {
        assert_eq!(PROVINCES.len(), 31);
        let icp: String = icp_prefixes().collect();
        assert_eq!(
            icp,
            "京津冀晋蒙辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤桂琼渝蜀黔滇藏陕陇青宁新"
        );
        let psb: String = psb_prefixes().collect();
        assert_eq!(
            psb,
            "京津冀晋蒙辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤桂琼渝川蜀贵黔滇云藏陕甘青宁新"
        );
    }

    #[test]
    fn wrong_aliases_come_from_the_psb_column() {
        let aliases: Vec<(char, char)> = psb_prefixes()
            .filter_map(|c| wrong_icp_alias(c).map(|good| (c, good)))
            .collect();
        assert_eq!(
            aliases,
            [('川', '蜀'), ('贵', '黔'), ('云', '滇'), ('甘', '陇')]
        );
        assert_eq!(psb_prefixes_for_code("51"), Some(&['川', '蜀'][..]));
        assert_eq!(psb_prefixes_for_code("99"), None);
    }
}
