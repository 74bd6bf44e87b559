//! System notices mailed to a line's i-mode mailbox, in Japanese and English.
//! They go through the same delivery rules (a suspended line gets none).

use rusqlite::Connection;

use super::store::{notify_line, Outcome};
use crate::error::AppError;

pub fn password_changed(conn: &Connection, line_id: i64, now: i64) -> Result<Outcome, AppError> {
    notify_line(
        conn,
        line_id,
        now,
        "iモードパスワード変更のお知らせ / i-mode password changed",
        "iモードパスワードが変更されました。お心当たりがない場合はドコモショップにご相談ください。\n\
         Your i-mode password was changed. If this was not you, please visit a docomo Shop.",
    )
}

/// `route` says how it was reset (handset, My docomo, docomo Shop).
pub fn password_reset(
    conn: &Connection,
    line_id: i64,
    now: i64,
    route: &str,
) -> Result<Outcome, AppError> {
    notify_line(
        conn,
        line_id,
        now,
        "iモードパスワード初期化のお知らせ / i-mode password reset",
        &format!(
            "iモードパスワードを0000に戻しました({route})。\n\
             Your i-mode password has been reset to 0000 ({route})."
        ),
    )
}

pub fn subscribed(
    conn: &Connection,
    line_id: i64,
    now: i64,
    site: &str,
    fee: u32,
    settlement_no: &str,
) -> Result<Outcome, AppError> {
    notify_line(
        conn,
        line_id,
        now,
        "有料サイト登録完了のお知らせ / Subscription receipt",
        &format!(
            "{site} 月額{fee}円 決済番号(d払い) {settlement_no}\n\
             {site}: {fee} yen a month, settlement number (d払い) {settlement_no}"
        ),
    )
}
