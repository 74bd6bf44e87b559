//! Every fixed text of the handset pages, in Japanese and English.

/// A text in both languages: (ja, en).
pub type Text = (&'static str, &'static str);

pub const APP_TITLE: Text = ("garake ケータイ", "garake handset");
pub const CHOOSE_LINE: Text = ("回線を選んでください", "Choose a line");
pub const SESSION_EXPIRED: Text = (
    "一定時間操作がなかったため終了しました。回線を選び直してください。",
    "Your session ended after 30 idle minutes. Choose a line again.",
);
pub const NO_LINES: Text = ("回線がありません", "No lines");
pub const LANGUAGE: Text = ("言語", "Language");

pub const NEXT: Text = ("次へ", "Next");
pub const BACK: Text = ("戻る", "Back");
pub const TO_IMENU: Text = ("iMenuへ", "To iMenu");

// The read-only settings panel of Various settings.
pub const CURRENT_SETTINGS: Text = ("現在の設定", "Current settings");
pub const MAIL_ADDRESS: Text = ("メールアドレス", "Mail address");
pub const MAIL_FUNCTIONS: Text = ("メール機能", "Mail functions");
pub const SUSPENDED: Text = ("停止中", "Suspended");
pub const IN_USE: Text = ("利用中", "In use");
pub const MAIL_REJECTION: Text = ("迷惑メール設定", "Mail rejection");
pub const REJECT_OFF: Text = ("設定なし", "Off");
pub const REJECT_ALL: Text = ("全て拒否", "Reject all");
pub const REJECT_DESIGNATED: Text = ("指定拒否", "Reject designated");
pub const RECEIVE_DESIGNATED: Text = ("指定受信", "Receive designated");
pub const ENTRIES: Text = ("件", " entries");
pub const SECRET_CODE: Text = ("シークレットコード", "Secret code");
pub const REGISTERED: Text = ("登録済", "Registered");
pub const NOT_REGISTERED: Text = ("未登録", "Not registered");
pub const RECEIVE: Text = ("受信する", "Receive");
pub const DO_NOT_RECEIVE: Text = ("受信しない", "Do not receive");
pub const IMODE_PASSWORD: Text = ("iモードパスワード", "i-mode password");
pub const LOCKED: Text = ("ロック中", "Locked");
pub const NOT_LOCKED: Text = ("有効", "Active");

// Change i-mode password.
pub const CHANGE_PIN_INTRO: Text = (
    "現在のiモードパスワードと新しいパスワード(4桁の数字)を入力してください。",
    "Enter your current i-mode password and a new 4-digit password.",
);
pub const CURRENT_PIN: Text = ("現在のパスワード", "Current password");
pub const NEW_PIN: Text = ("新しいパスワード", "New password");
pub const NEW_PIN_CONFIRM: Text = ("新しいパスワード(確認)", "New password (again)");
pub const SUBMIT: Text = ("決定", "OK");
pub const PIN_CHANGED: Text = (
    "iモードパスワードを変更しました。",
    "Your i-mode password has been changed.",
);
pub const PIN_FORMAT: Text = (
    "パスワードは4桁の数字で入力してください。",
    "Enter the password as exactly 4 digits.",
);
pub const NEW_PIN_FORMAT: Text = (
    "新しいパスワードは4桁の数字で入力してください。",
    "Enter the new password as exactly 4 digits.",
);
pub const NEW_PIN_MISMATCH: Text = (
    "新しいパスワードと確認用が一致しません。",
    "The new password and its confirmation differ.",
);
pub const WRONG_PIN: Text = (
    "iモードパスワードが違います。",
    "The i-mode password is incorrect.",
);
pub const PIN_LOCKED: Text = (
    "iモードパスワードが違います。連続して間違えたため、本日はご利用になれません(0時に解除)。",
    "The i-mode password is incorrect. After repeated errors it is locked until midnight (JST).",
);
pub const FORGOT_PIN: Text = (
    "お忘れの場合は、ドコモオンライン手続き(ネットワーク暗証番号)、My docomo、ドコモショップで0000に戻せます。",
    "Forgot it? Reset it to 0000 via docomo Online Application (network PIN), My docomo, or a docomo Shop.",
);
pub const RESET_VIA_ONLINE: Text = ("ドコモオンライン手続き", "docomo Online Application");
pub const FORM_USED: Text = (
    "この画面は送信済みか、有効期限が切れています。もう一度操作してください。",
    "This form was already sent or has expired. Please start again.",
);
pub const BUSY: Text = (
    "ただいま混み合っています。しばらくしてからもう一度お試しください。",
    "The system is busy. Please try again shortly.",
);

// Reset the i-mode password with the network PIN.
pub const RESET_INTRO: Text = (
    "iモードパスワードを初期値(0000)に戻します。ネットワーク暗証番号(4桁)を入力してください。",
    "This resets your i-mode password to 0000. Enter your 4-digit network PIN.",
);
pub const NETWORK_PIN: Text = ("ネットワーク暗証番号", "Network PIN");
pub const RESET_DONE: Text = (
    "iモードパスワードを0000に戻しました。",
    "Your i-mode password has been reset to 0000.",
);
pub const NETWORK_PIN_WRONG: Text = (
    "ネットワーク暗証番号が違います。",
    "The network PIN is incorrect.",
);
pub const NETWORK_PIN_LOCKED: Text = (
    "ネットワーク暗証番号がロックされています。ドコモショップでお手続きください。",
    "Your network PIN is locked. Please visit a docomo Shop.",
);

// Error pages.
pub const ERR_NOT_FOUND: Text = ("ページが見つかりません。", "Page not found.");
pub const ERR_METHOD: Text = (
    "この操作はできません。",
    "This operation is not allowed here.",
);
pub const ERR_TOO_LARGE: Text = ("送信内容が大きすぎます。", "What you sent is too large.");
pub const ERR_BAD_FORM: Text = (
    "送信内容を読み取れませんでした。文字コードを確認してください。",
    "What you sent could not be read. Check the characters you entered.",
);
pub const ERR_INTERNAL: Text = (
    "エラーが発生しました。しばらくしてからお試しください。",
    "Something went wrong. Please try again later.",
);
pub const ERR_BAD_REQUEST: Text = ("入力内容に誤りがあります。", "The request is not valid.");
pub const ERR_UNAUTHORIZED: Text = ("認証が必要です。", "Authentication required.");
