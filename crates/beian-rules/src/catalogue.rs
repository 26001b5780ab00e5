//! The rule catalogue: every rule this crate judges, with its pass/warn/fail/n/a conditions
//! (docs/rulebook.md §5 and the issue-4 extensions) and the fix a person should make, in Chinese
//! and English. `beian rules` prints it; `docs/RULES.md` is generated from it
//! ([`catalogue_markdown`]) and a test keeps the file current.

use beian_types::{Fix, Verdict};

use crate::ids;

/// One rule of the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct RuleInfo {
    /// Rule id.
    pub id: &'static str,
    /// `page` (judged per host's final page) or `site` (per domain).
    pub scope: &'static str,
    /// What the rule checks.
    pub checks: &'static str,
    /// When it passes.
    pub pass: &'static str,
    /// When it warns.
    pub warn: &'static str,
    /// When it fails.
    pub fail: &'static str,
    /// When it does not apply.
    pub na: &'static str,
    /// Where the rule comes from (rulebook source keys, or the issue that added it).
    pub source: &'static str,
    /// What to do when it warns or fails.
    pub fix: Fix,
}

const fn fix(zh: &'static str, en: &'static str) -> Fix {
    Fix { zh, en }
}

/// The catalogue, in judging order: page rules, then site rules.
pub const CATALOGUE: &[RuleInfo] = &[
    RuleInfo {
        id: ids::ICP_PRESENT,
        scope: "page",
        checks: "a filing/licence number is shown in the footer",
        pass: "the primary candidate is visible footer text",
        warn: "the primary is only in an image alt/title or only in an inline script (needs rendering or a visual check)",
        fail: "no candidate, or only in body text outside the footer, or only in comments",
        na: "manifest says hosting=overseas",
        source: "§5 [S1][P1]",
        fix: fix(
            "在网站首页底部以文字显示 ICP 备案号",
            "Show the ICP filing number as text in the home page footer",
        ),
    },
    RuleInfo {
        id: ids::ICP_FORMAT,
        scope: "page",
        checks: "the primary number is well-formed",
        pass: "canonical prefix; ICP备 + 8 or 10 digits (10 start 20), or ICP证 + 6; 号 present; letter A or X; licence form with 8 digits",
        warn: "6/7/9 digits; 10 digits not starting 20; 号 missing; ICP证 not 6 digits; letter not A/X",
        fail: "prefix is a wrong alias 川/贵/云/甘 (should be 蜀/黔/滇/陇); licence digits ≠ 8; a near miss of §2.8 (备- / 备案 / 备案号: / 第 / <digits>-1号 / 号 twice / IPC / no province): the evidence names it and the standard form to write",
        na: "no in-scope candidate; hosting=overseas",
        source: "§2.1–2.4, §2.8 [C8]–[C13]",
        fix: fix(
            "按工信部备案系统中的写法显示备案号（省份简称、位数、“号”字）",
            "Write the number exactly as the MIIT filing system shows it (province prefix, digits, 号)",
        ),
    },
    RuleInfo {
        id: ids::ICP_LINK,
        scope: "page",
        checks: "the number links to the MIIT filing system",
        pass: "inside <a href> with host beian.miit.gov.cn (in the HTML, or in an <a href> literal a script writes; a number split over several links to that host counts)",
        warn: "legacy host (www.beian.miit.gov.cn, miitbeian.gov.cn, …); exturl span or onclick handler to an MIIT host; script source without an anchor; unlinked but another MIIT link in the footer",
        fail: "unlinked (and no MIIT link in the footer); linked to any other host (other MIIT sites such as tsm.miit.gov.cn included); an empty href",
        na: "no in-scope candidate; hosting=overseas",
        source: "§3.1 [S1][P1][I1]–[I7]",
        fix: fix(
            "将备案号链接到 https://beian.miit.gov.cn/",
            "Link the filing number to https://beian.miit.gov.cn/",
        ),
    },
    RuleInfo {
        id: ids::ICP_KIND,
        scope: "page",
        checks: "the right kind of number for a website",
        pass: "service number; Guangdong subject number; licence with -N; Guangdong bare licence",
        warn: "bare licence (京ICP证…号, 京B2-…) outside Guangdong",
        fail: "subject number outside Guangdong; app/mini-program/quick-app number (-NA/-NX) as the primary",
        na: "no in-scope candidate; hosting=overseas",
        source: "§2.2–2.4 [S1]",
        fix: fix(
            "显示本网站的网站备案号（主体备案号后加“-序号”）",
            "Show this website's service number (the subject number followed by -N)",
        ),
    },
    RuleInfo {
        id: ids::ICP_MULTI,
        scope: "page",
        checks: "all ICP备 numbers in the footer belong to one subject",
        pass: "at most one distinct subject core (licences ignored)",
        warn: "two or more distinct cores (e.g. a template left over from another company)",
        fail: "—",
        na: "no in-scope candidate; hosting=overseas",
        source: "derived",
        fix: fix(
            "删除页脚中不属于本单位的备案号",
            "Remove filing numbers of other subjects from the footer",
        ),
    },
    RuleInfo {
        id: ids::ICP_MANIFEST,
        scope: "page",
        checks: "the displayed number equals the manifest's expected_icp",
        pass: "equal (Guangdong: equal subject core accepted)",
        warn: "—",
        fail: "different",
        na: "no manifest expected_icp; no in-scope candidate (ICP-PRESENT reports it); hosting=overseas",
        source: "§5 (fleet use)",
        fix: fix(
            "核对并显示本网站在工信部备案系统中的备案号",
            "Display the filing number the MIIT system holds for this site",
        ),
    },
    RuleInfo {
        id: ids::PSB_PRESENT,
        scope: "page",
        checks: "a public-security (公网安备) number is shown",
        pass: "in footer text",
        warn: "only in an inline script; absent (may be within the 30+30-day window); with a manifest date: absent before the deadline (pending, due date in the evidence)",
        fail: "with a manifest date: absent after the deadline (opened_on + 30 days to file; psb_approved_on + 30 days to display)",
        na: "—",
        source: "§4.4 [S1][S2]",
        fix: fix(
            "在全国互联网安全管理服务平台备案，并在页脚显示公安备案号及图标",
            "File with the public-security platform and show the PSB number and icon in the footer",
        ),
    },
    RuleInfo {
        id: ids::PSB_FORMAT,
        scope: "page",
        checks: "PSB digits are well-formed",
        pass: "14 digits, first two a province code; trailing 号 optional",
        warn: "12, 13 or 15 digits (legacy provincial numbers); a non-standard label (公安备案号, 公安网备), no province character, or a -N suffix",
        fail: "other lengths; first two digits not a province code",
        na: "no PSB number",
        source: "§2.5 [C18][D6]",
        fix: fix(
            "按公安备案系统中的写法显示公安备案号",
            "Write the PSB number exactly as the public-security platform shows it",
        ),
    },
    RuleInfo {
        id: ids::PSB_PROVINCE,
        scope: "page",
        checks: "the PSB prefix character matches the code",
        pass: "character equals the §2.1 PSB column (alternates 52→黔, 53→云, 51→蜀 accepted)",
        warn: "—",
        fail: "mismatch (e.g. 浙公网安备3101…)",
        na: "no PSB number; no province character written (PSB-FORMAT warns)",
        source: "§2.1",
        fix: fix(
            "公安备案号前的省份简称应与编号前两位对应",
            "Make the province character match the number's first two digits",
        ),
    },
    RuleInfo {
        id: ids::PSB_LINK,
        scope: "page",
        checks: "linked to the platform with the same code",
        pass: "beian.mps.gov.cn with code = the digits",
        warn: "legacy beian.gov.cn with matching recordcode; official host without code; unlinked; exturl or onclick; a script without an anchor",
        fail: "other host; code ≠ digits",
        na: "no PSB number",
        source: "§3.2 [S2][I8][I9]",
        fix: fix(
            "将公安备案号链接到 https://beian.mps.gov.cn/#/query/webSearch?code=（备案号数字）",
            "Link the PSB number to https://beian.mps.gov.cn/#/query/webSearch?code=<its digits>",
        ),
    },
    RuleInfo {
        id: ids::PSB_ICON,
        scope: "page",
        checks: "the platform icon is shown with the number",
        pass: "a shown <img> (not display:none, visibility:hidden or hidden) inside the link or immediately before it",
        warn: "no icon found (an emblem drawn as a CSS background is not seen)",
        fail: "—",
        na: "no PSB number",
        source: "[S2]",
        fix: fix(
            "在公安备案号前显示公安备案图标",
            "Show the public-security filing icon before the PSB number",
        ),
    },
    RuleInfo {
        id: ids::PSB_MANIFEST,
        scope: "page",
        checks: "the manifest says a PSB number was issued: it is displayed and equal",
        pass: "displayed and equal to expected_psb",
        warn: "not displayed yet, before psb_approved_on + 30 days (pending, due date in the evidence)",
        fail: "missing (after the deadline, or no date known) or different",
        na: "no manifest expected_psb",
        source: "§5 [S2]",
        fix: fix(
            "在页脚显示已取得的公安备案号",
            "Display the PSB number the platform issued",
        ),
    },
    RuleInfo {
        id: ids::COPYRIGHT,
        scope: "page",
        checks: "Jiangsu: a copyright line names the filing organisation",
        pass: "holder found and (when org_name is known) equal after removing whitespace",
        warn: "—",
        fail: "no copyright holder; holder ≠ org_name",
        na: "primary prefix is not 苏 and the manifest province is not Jiangsu",
        source: "§4.5 [S1][D1]",
        fix: fix(
            "在页脚添加“版权所有 © 单位名称”，名称与备案主体一致",
            "Add a copyright line naming the filing organisation exactly (版权所有 © <name>)",
        ),
    },
    RuleInfo {
        id: ids::LICENCE_FORMAT,
        scope: "page",
        checks: "every licence number in the footer is well-formed",
        pass: "all licence forms have 8 digits starting 20; ICP证 has 6",
        warn: "—",
        fail: "any malformed licence number",
        na: "no licence number in the footer",
        source: "§2.4 [C17]",
        fix: fix(
            "按经营许可证上的写法显示许可证编号",
            "Write the licence number exactly as the licence shows it",
        ),
    },
    RuleInfo {
        id: ids::LICENCE_PRESENT,
        scope: "page",
        checks: "commercial sites show an ICP licence number",
        pass: "a licence-form number (ICP证, B2-…) in the footer",
        warn: "—",
        fail: "manifest says commercial=true and no licence number is shown",
        na: "no manifest, or commercial is not true; hosting=overseas",
        source: "§4.6 [S1]; issue 4",
        fix: fix(
            "经营性网站须在页脚显示增值电信业务经营许可证编号",
            "A commercial site must show its value-added telecom licence number in the footer",
        ),
    },
    RuleInfo {
        id: ids::ICP_PLACEMENT,
        scope: "page",
        checks: "in the rendered page (desktop and mobile viewports), the shown number is visible, legible and at the bottom centre",
        pass: "visible on both viewports, contrast and font size above the thresholds, horizontally centred and in the bottom part of the page",
        warn: "visible but off-centre or not at the bottom, or visible on the desktop only",
        fail: "not visible on the desktop viewport: display:none, visibility:hidden, transparent, clipped, zero size, off-screen, contrast below 1.5:1 or font below 8px (rules file [placement])",
        na: "the page was not rendered (--render never, or auto found the HTML conclusive), the render failed, no number, or its digits are not in the rendered text; hosting=overseas",
        source: "§4.1, §5.2 [P1][S1]; issue 19",
        fix: fix(
            "在首页底部中央位置清晰显示备案号（勿隐藏、勿与背景同色、字号不宜过小），桌面端和移动端均应可见",
            "Show the number clearly at the bottom centre of the home page — not hidden, not in the background's colour, not tiny — on desktop and mobile alike",
        ),
    },
    RuleInfo {
        id: ids::SITE_REACH,
        scope: "site",
        checks: "apex and www. both answer",
        pass: "both reach a 2xx HTML page (≤ 5 redirects; HTTPS or HTTP)",
        warn: "one host only redirects to another registrable domain's page",
        fail: "either host unreachable / non-2xx / no HTML",
        na: "—",
        source: "§4.3 [S1]",
        fix: fix(
            "确保主域名和 www 域名都能访问并显示备案号",
            "Make both the apex and the www host answer with the page that shows the number",
        ),
    },
    RuleInfo {
        id: ids::SITE_PARITY,
        scope: "site",
        checks: "both hosts' final pages carry the number",
        pass: "both final pages pass ICP-PRESENT with the same canonical number (a redirect to the same final URL counts)",
        warn: "numbers differ only in -N (different service numbers of one subject)",
        fail: "one page fails ICP-PRESENT, or one host has no page (no DNS record, a redirect loop, an error): it shows no number",
        na: "hosting=overseas; neither host has a page (SITE-REACH fails)",
        source: "§4.3 [S1]",
        fix: fix(
            "主域名和 www 域名的页面底部都要显示同一备案号",
            "Show the same filing number in the footer of both the apex and the www page",
        ),
    },
    RuleInfo {
        id: ids::SITE_REDIRECT,
        scope: "site",
        checks: "redirects are sane on every probe (apex and www, https and http)",
        pass: "no redirect, or redirects that stay within the registrable domain and never leave HTTPS for HTTP",
        warn: "a probe ends on another registrable domain's page",
        fail: "a redirect loop; more redirects than the limit; a redirect to a non-web or invalid target; an HTTPS URL redirecting to HTTP",
        na: "—",
        source: "issue 4 (public-suffix list via psl)",
        fix: fix(
            "修正跳转：不要循环跳转，不要从 HTTPS 跳回 HTTP，主域名和 www 都应停留在本域名",
            "Fix the redirects: no loops, never from HTTPS back to HTTP, and both hosts stay on this domain",
        ),
    },
    RuleInfo {
        id: ids::SITE_TLS,
        scope: "site",
        checks: "every host that offers HTTPS has a valid certificate",
        pass: "the certificate chains to a trusted root, names the host and is within its dates",
        warn: "—",
        fail: "an HTTPS host presents an expired, untrusted or wrong-name certificate (browsers block the page and its footer)",
        na: "no host completed an HTTPS handshake (HTTP only)",
        source: "issue 4",
        fix: fix(
            "为主域名和 www 域名部署有效的 HTTPS 证书",
            "Install a valid HTTPS certificate for both the apex and the www host",
        ),
    },
    RuleInfo {
        id: ids::SITE_ACCESS,
        scope: "site",
        checks: "the apex and www hosts resolve (after CNAMEs) to addresses in the access provider's networks (--access-nets, manifest access_nets)",
        pass: "every address of both hosts lies in the networks",
        warn: "some addresses lie outside the networks, or a host is reached through a CNAME to a third party (a CDN in front of the origin; the evidence names it)",
        fail: "a host that resolves has no address in the networks and no third party in front: filed here, served elsewhere",
        na: "no networks given; hosting=overseas; no host resolved",
        source: "§4.8, [D2] [T3]",
        fix: fix(
            "接入商：核实网站是否已迁出本接入商网络；客户：将域名解析回本接入商的服务器，或办理变更接入，将备案接入转到现在提供服务的接入商",
            "Provider: check whether the site has left your networks; customer: point the domain back to the provider's servers, or transfer the filing's access (变更接入) to the provider now serving it",
        ),
    },
    RuleInfo {
        id: ids::ICP_PROVIDER,
        scope: "site",
        checks: "no host answers with the access provider's own page for a domain without a filing on its network (Alibaba Cloud's \"Non-compliance ICP Filing\", Tencent Cloud's webblock redirect, …; docs/MARKERS.md)",
        pass: "the hosts that answered show no such page",
        warn: "—",
        fail: "a host answers with the provider's interception page: the provider says the domain has no filing (or no access filing) on its network; the evidence names the provider and the marker",
        na: "no host answered",
        source: "issue 28; research-realworld §1",
        fix: fix(
            "为该域名办理 ICP 备案，或将已有备案的接入转到该接入商（变更接入）；完成前不要将域名解析到该接入商的服务器",
            "File the domain (or transfer its filing's access to this provider) before pointing it at the provider's servers",
        ),
    },
    RuleInfo {
        id: ids::SITE_SHELL,
        scope: "site",
        checks: "the hosts show the site, not a parked, default, for-sale or empty page (空壳网站: a filed domain with no site behind it), and the domain exists",
        pass: "the hosts that answered show pages of their own",
        warn: "one host shows a parked, default or empty page while the other shows the site; no host answers now (a timeout, a refusal, a server error: a site down for an hour is not a shell)",
        fail: "every host that answered shows a parked, default or empty page (宝塔's 站点创建成功, nginx's welcome page, a parking service, a 2xx with an empty body), or the domain does not exist (NXDOMAIN for both hosts); the evidence names it",
        na: "something stood in front of every host (a challenge, a block, the provider's page, a CDN's origin error)",
        source: "issue 28 (the classifier's `parked` class); the providers' 空壳网站 checks",
        fix: fix(
            "上线网站内容并在首页底部显示备案号；长期空壳的备案会被注销",
            "Put the site's content online with the filing number in its footer; a filing left as a shell site (空壳) is cancelled",
        ),
    },
    RuleInfo {
        id: ids::SITE_NAME,
        scope: "site",
        checks: "a name the pages show matches the filed 网站名称 (manifest `site_name`): the title whole or in its parts, og:site_name, the app name, the logo's alt, the copyright holder",
        pass: "one of them, normalised (full-width folded, case, punctuation and spaces, 官网/首页/欢迎光临 and the like removed), holds the filed name (or its short form without 有限公司 …), or is at least half of it and held by it",
        warn: "none matches (titles carry slogans and page names: never a fail); the evidence lists what the pages show",
        fail: "never",
        na: "no `site_name` in the manifest; no host showed a page",
        source: "issue 30; the public-security form's 网站名称 (\"建议与 ICP 备案网站名称一致\"); providers' 备案核查: 网站名称与备案信息不符",
        fix: fix(
            "使网站标题或站点名称与备案的网站名称一致，或在工信部备案系统中变更网站名称",
            "Make the site's title or site name show the filed site name (网站名称), or change the name in the MIIT filing",
        ),
    },
    RuleInfo {
        id: ids::SITE_INTERACTIVE,
        scope: "site",
        checks: "interactive services on the home pages (comment boxes and widgets, forums, login and registration, uploads, live chat; rulebook §6.15) against the filing's 是否提供互联网交互服务 (manifest `interactive`)",
        pass: "filed as interactive; or filed non-interactive and none seen on the home pages",
        warn: "filed non-interactive (no) while a home page offers one: each with the marker that showed it",
        fail: "never (a home page shows part of a site)",
        na: "no `interactive` in the manifest; no host showed a page",
        source: "issue 30; 《具有舆论属性或社会动员能力的互联网信息服务安全评估规定》(CAC + MPS, 2018); the public-security form's 交互式 question",
        fix: fix(
            "在全国互联网安全管理服务平台将网站变更为交互式并提交安全评估报告，或下线评论、论坛、注册、上传、在线客服等交互功能",
            "Change the public-security filing to interactive (交互式) and file the security assessment, or take the comments, forum, registration, upload or chat features offline",
        ),
    },
    RuleInfo {
        id: ids::SITE_SCOPE,
        scope: "site",
        checks: "a personal filing (manifest `subject_type=个人`) shows content within it: no commerce (a shop system, product and price markup, cart controls, a payment form), no forum, no organisation as copyright holder",
        pass: "a personal filing and none of these seen",
        warn: "a personal filing's pages show commerce, a forum, or an organisation (有限公司, Co., Ltd. …) as copyright holder: 内容超范围",
        fail: "never",
        na: "no `subject_type`; filed by an organisation; no host showed a page",
        source: "issue 30; providers' 备案核查: 内容超范围 (a personal filing with enterprise content); practitioners: personal filings cannot host forums",
        fix: fix(
            "个人备案网站不得从事经营或企业宣传；请以单位主体重新备案，或下线商城、论坛等超范围内容",
            "A personally filed site may not sell or present a company: file again under the organisation, or take the shop or forum offline",
        ),
    },
    RuleInfo {
        id: ids::SITE_FILED_IP,
        scope: "site",
        checks: "every address of both hosts is one of the public-security filing's IPs (manifest `filed_ips`, addresses or networks)",
        pass: "all addresses inside",
        warn: "an address outside, on a host no CDN stands in front of: the filing's IP must be changed (变更)",
        fail: "never",
        na: "no `filed_ips`; DNS gave no address; every host is served through a named CDN (its addresses are the CDN's)",
        source: "issue 30; the public-security form's IP field (the cloud resource's public IP)",
        fix: fix(
            "在全国互联网安全管理服务平台变更网站的 IP 地址信息",
            "Change (变更) the site's IP addresses in the public-security filing",
        ),
    },
    RuleInfo {
        id: ids::SITE_LANG,
        scope: "site",
        checks: "the language of each host's page text (by script: Han, kana, hangul, Cyrillic, Latin; rulebook §6.15) is a filed 网站语种 (manifest `languages`)",
        pass: "every page's language is filed",
        warn: "a page's text is mostly in a language not filed (an English-only site filed as 中文)",
        fail: "never",
        na: "no `languages`; no host showed a page; too little text to tell",
        source: "issue 30; the public-security form's 网站语种",
        fix: fix(
            "在全国互联网安全管理服务平台变更网站语种，使其包含网站实际使用的语言",
            "Change the public-security filing's languages (网站语种) to those the site is written in",
        ),
    },
    RuleInfo {
        id: ids::SITE_OTHER_DOMAINS,
        scope: "site",
        checks: "each of the filing's other domains (从域名, manifest `other_domains`; its name and `www.`, probed with the site and audited by the page rules as hosts of their own) shows the site's filing number",
        pass: "every one shows the number the site shows (after its redirects: a 从域名 that redirects to the site shows the site's page)",
        warn: "one shows another website's number of the same subject (another -N); one shows no page, or a challenge or block stood in front (not verified)",
        fail: "one shows another filing's number, or no number, or a parked or default page (a shell 从域名)",
        na: "no `other_domains` in the manifest",
        source: "issue 30; the public-security form's 从域名; providers' 空壳网站 checks (a filed domain that does not show the site)",
        fix: fix(
            "使每个从域名指向本网站（或跳转到主域名）并显示相同的备案号；不再使用的从域名应在备案中删除",
            "Point every other domain (从域名) at the site (or redirect it to the main domain) so that it shows the same filing number; remove the domains no longer used from the filing",
        ),
    },
];

/// The fix a finding of `id` with `verdict` carries: the catalogue's, for warn and fail.
pub(crate) fn fix_for(id: &str, verdict: Verdict) -> Option<Fix> {
    match verdict {
        Verdict::Warn | Verdict::Fail => rule(id).map(|r| r.fix),
        Verdict::Pass | Verdict::NotApplicable => None,
    }
}

/// The catalogue entry of a rule id.
pub fn rule(id: &str) -> Option<&'static RuleInfo> {
    CATALOGUE.iter().find(|r| r.id == id)
}

/// The version of the rules this build judges by: the crate's version and a checksum of the
/// catalogue (every rule's id, conditions and fix), so that two runs judged by different rules
/// say so in `run.json` even when the version was not bumped.
pub fn rules_version() -> String {
    format!(
        "{}+{:08x}",
        env!("CARGO_PKG_VERSION"),
        crc32fast::hash(catalogue_markdown().as_bytes())
    )
}

/// `docs/RULES.md`: the catalogue as Markdown.
pub fn catalogue_markdown() -> String {
    let mut s = String::from(
        "# Rules\n\n\
         Generated from `crates/beian-rules/src/catalogue.rs` by `beian rules --markdown`; a test\n\
         fails when this file is out of date. Rule ids, conditions and sources follow\n\
         the rulebook (`rulebook.md` §5, whose §11 lists the sources); LICENCE-PRESENT and\n\
         the manifest deadlines come from issue 4.\n\
         Verdicts: `pass`, `warn`, `fail`, `n/a`. A rules file (`--rules rules.toml`) can\n\
         switch a rule off or change what its warn and fail verdicts become.\n\n\
         | id | scope | checks | source |\n|---|---|---|---|\n",
    );
    for r in CATALOGUE {
        s.push_str(&format!(
            "| [{id}](#{anchor}) | {} | {} | {} |\n",
            r.scope,
            r.checks,
            r.source,
            id = r.id,
            anchor = r.id.to_ascii_lowercase()
        ));
    }
    // Conditions name HTML elements (`<a href>`): escaped so Markdown shows them.
    let md = |t: &str| t.replace('<', "&lt;");
    for r in CATALOGUE {
        s.push_str(&format!(
            "\n## {}\n\n{} ({} rule; source: {}).\n\n\
             - **pass**: {}\n- **warn**: {}\n- **fail**: {}\n- **n/a**: {}\n\
             - **fix**: {} / {}\n",
            r.id,
            md(r.checks),
            r.scope,
            r.source,
            md(r.pass),
            md(r.warn),
            md(r.fail),
            md(r.na),
            md(r.fix.zh),
            md(r.fix.en)
        ));
    }
    s
}
