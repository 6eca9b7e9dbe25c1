//! Category suggestion: ranking of realistic citizen sentences, the keyword table against the
//! taxonomy, and edge cases (empty or unrelated text, limit, order, normalisation).

use domain::suggest::{
    KEYWORDS_CSV, MIN_SCORE, builtin_keywords, parse_keywords_csv, suggest, suggest_with,
};
use domain::taxonomy::{ClassKind, Taxonomy};

fn taxonomy() -> Taxonomy {
    Taxonomy::builtin().expect("builtin taxonomy")
}

fn top(t: &Taxonomy, text: &str, n: usize) -> Vec<String> {
    suggest(t, text, n).into_iter().map(|s| s.code).collect()
}

#[test]
fn shipped_keywords_parse_and_name_existing_matters() {
    let rows = parse_keywords_csv(KEYWORDS_CSV).expect("keywords parse");
    assert!(rows.len() >= 80, "{} rows", rows.len());
    let t = taxonomy();
    for r in &rows {
        assert!(
            t.find_matter(&r.code).is_some(),
            "keyword row {} names no matter class",
            r.code
        );
    }
    assert_eq!(builtin_keywords().len(), rows.len());
}

#[test]
fn malformed_keyword_tables_are_rejected() {
    for bad in [
        "code,words\n06010,垃圾\n",
        "code,keywords\n6010,垃圾\n",
        "code,keywords\n06010,垃圾\n06010,垃圾堆\n",
        "code,keywords\n06010,，|\n",
        "code,keywords\n06010,垃圾,x\n",
    ] {
        assert!(parse_keywords_csv(bad).is_err(), "{bad}");
    }
}

#[test]
fn the_brief_examples_rank_their_class_in_the_top_three() {
    let t = taxonomy();
    let manhole = top(&t, "井盖丢了，很危险", 3);
    assert!(
        manhole
            .iter()
            .any(|c| t.find_matter(c).is_some_and(|m| m.name.contains("井盖"))),
        "{manhole:?}"
    );
    for (text, code) in [
        ("路边有一堆垃圾没人清理", "06010"),
        ("饭店油烟很大", "06027"),
        ("有人在人行道上摆摊", "09006"),
        ("工地晚上施工太吵", "08001"),
        ("渣土车撒了一路", "06014"),
    ] {
        let got = top(&t, text, 3);
        assert!(got.iter().any(|c| c == code), "{text}: {got:?}");
    }
}

#[test]
fn realistic_sentences_rank_their_class_in_the_top_three() {
    let t = taxonomy();
    let cases = [
        ("小区门口的路灯不亮了好几天", "01037"),
        ("十字路口红绿灯坏了，车都乱开", "02014"),
        ("垃圾桶满了，垃圾都溢出来了", "06042"),
        ("墙上贴满了办证的小广告", "07001"),
        ("一辆轿车停在人行道上，挡住了路", "09009"),
        ("电动车乱停乱放堵住了楼道口", "09010"),
        ("门口的超市把货架摆到店外经营", "09005"),
        ("楼下KTV噪音太大，晚上睡不着", "06028"),
        ("下大雨后这个路口积水很深，车都过不去", "10901"),
        ("马路上有个大坑，电动车骑过去很危险", "06013"),
        ("大风把行道树刮倒了，压在路上", "04002"),
        ("绿化带里的草坪被人踩坏种了菜", "06045"),
        ("有人在小区空地私搭乱建彩钢房", "06001"),
        ("路边有一只死狗，好几天没人管", "06037"),
        ("公共厕所很脏很臭，没人打扫", "03001"),
        ("街边的广告牌松动了，随时会掉下来", "03006"),
        ("工地没有覆盖，尘土飞扬", "08004"),
        ("有人在路边烧垃圾，冒黑烟", "06020"),
        ("楼上私拉电线给电动车飞线充电", "06901"),
        ("小区门口有流动摊贩推车卖水果", "09001"),
        ("共享单车堆满了人行道", "09011"),
        ("消防通道被私家车堵死了", "09012"),
        ("路边夜市烧烤摊烟很大", "06029"),
        ("河里漂浮着很多垃圾", "06025"),
        ("路面结冰了很滑，有人摔倒", "10001"),
        ("电线掉下来垂到地面了", "10002"),
        ("人行道上的盲道被破坏了", "06051"),
        ("饭店把泔水倒进下水道", "06902"),
    ];
    for (text, code) in cases {
        let got = suggest(&t, text, 3);
        assert!(
            got.iter().any(|s| s.code == code),
            "{text}: expected {code}, got {:?}",
            got.iter()
                .map(|s| (s.code.as_str(), s.name.as_str(), s.score))
                .collect::<Vec<_>>()
        );
    }
}

#[test]
fn class_names_alone_are_recognised() {
    let t = taxonomy();
    let got = suggest(&t, "这里有油烟污染问题", 1);
    assert_eq!(got.first().map(|s| s.code.as_str()), Some("06027"));
    assert!(got[0].reason.contains("油烟污染"), "{}", got[0].reason);
    // Name only, no keyword table: 邮筒异常 → "邮筒".
    let got = suggest_with(&t, &[], "邮筒被撞倒了", 3);
    assert_eq!(got.first().map(|s| s.code.as_str()), Some("01042"));
}

#[test]
fn empty_or_unrelated_text_gives_nothing() {
    let t = taxonomy();
    for text in [
        "",
        "   ",
        "，。！？",
        "今天天气不错",
        "asdf qwer",
        "谢谢你们的辛苦工作",
    ] {
        let got = top(&t, text, 5);
        assert!(got.is_empty(), "{text}: {got:?}");
    }
}

#[test]
fn limit_order_and_scores_are_respected() {
    let t = taxonomy();
    let text = "路边垃圾桶满溢，旁边还有人摆摊，油烟很大，噪音扰民";
    assert!(suggest(&t, text, 0).is_empty());
    let two = suggest(&t, text, 2);
    assert_eq!(two.len(), 2);
    let all = suggest(&t, text, 50);
    assert!(all.len() > 2);
    assert_eq!(&all[..2], &two[..]);
    for w in all.windows(2) {
        assert!(
            w[0].score > w[1].score || (w[0].score == w[1].score && w[0].code < w[1].code),
            "{:?} before {:?}",
            (&w[0].code, w[0].score),
            (&w[1].code, w[1].score)
        );
    }
    for s in &all {
        assert!((MIN_SCORE..=1.0).contains(&s.score));
        assert_eq!(s.kind, ClassKind::Matter);
        assert!(!s.reason.is_empty());
    }
    // Deterministic.
    assert_eq!(suggest(&t, text, 50), all);
    // Full-width and case do not matter.
    assert_eq!(top(&t, "ＫＴＶ噪音", 1), top(&t, "ktv噪音", 1));
}

#[test]
fn short_class_names_inside_longer_words_do_not_count() {
    let t = taxonomy();
    // "水井" (01024 水井异常) is part of "污水井盖" here.
    let got = top(&t, "污水井盖破了", 5);
    assert_eq!(got.first().map(String::as_str), Some("01002"), "{got:?}");
    assert!(!got.iter().any(|c| c == "01024"), "{got:?}");
    assert!(top(&t, "这口水井坏了", 3).iter().any(|c| c == "01024"));
}
