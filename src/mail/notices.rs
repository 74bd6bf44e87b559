//! System notices mailed to a line's i-mode mailbox, in Japanese and English:
//! their words only. They are sent by `services::mail::notify` through the
//! same delivery rules (a suspended line gets none).

/// The sender of system notices.
pub const NOTICE_SENDER: &str = "info@docomo.ne.jp";

/// A notice's subject and body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub subject: &'static str,
    pub body: String,
}

pub fn password_changed() -> Notice {
    Notice {
        subject: "iモードパスワード変更のお知らせ / i-mode password changed",
        body: "iモードパスワードが変更されました。お心当たりがない場合はドコモショップにご相談ください。\n\
               Your i-mode password was changed. If this was not you, please visit a docomo Shop."
            .to_string(),
    }
}

/// `route` says how it was reset (handset, My docomo, docomo Shop).
pub fn password_reset(route: &str) -> Notice {
    Notice {
        subject: "iモードパスワード初期化のお知らせ / i-mode password reset",
        body: format!(
            "iモードパスワードを0000に戻しました({route})。\n\
             Your i-mode password has been reset to 0000 ({route})."
        ),
    }
}

pub fn subscribed(site: &str, fee: u32, settlement_no: &str) -> Notice {
    Notice {
        subject: "有料サイト登録完了のお知らせ / Subscription receipt",
        body: format!(
            "{site} 月額{fee}円 決済番号(d払い) {settlement_no}\n\
             {site}: {fee} yen a month, settlement number (d払い) {settlement_no}"
        ),
    }
}
