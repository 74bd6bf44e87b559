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
pub const URL_ENTRY: Text = ("URL入力", "URL entry");
pub const URL_PROMPT: Text = ("URLを入力してください", "Enter the address (URL)");
pub const GO: Text = ("接続", "Go");

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
    "ただいま混み合っております。しばらくしてからもう一度お試しください。",
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
pub const ERR_TIMEOUT: Text = (
    "送信に時間がかかりすぎたため中断しました。もう一度お試しください。",
    "The page took too long to arrive and was stopped. Please try again.",
);
pub const ERR_TOO_MANY: Text = (
    "アクセスが集中しています。しばらく待ってからお試しください。",
    "Too many requests: please wait a moment and try again.",
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

// Protected actions (the carrier's "When to Enter Your i-mode Password" list).
pub const MAIL_SETTINGS: Text = ("メール設定", "Mail settings");
pub const ENTER_PIN: Text = (
    "よろしければiモードパスワードを入力してください。",
    "To confirm, enter your i-mode password.",
);
pub const NEXT_STEP: Text = ("次へ", "Next");
pub const CHANGED: Text = ("設定を変更しました。", "Your settings have been changed.");
pub const ON: Text = ("する", "On");
pub const OFF: Text = ("しない", "Off");
pub const CHOOSE_ON_OFF: Text = (
    "「する」か「しない」を選んでください。",
    "Choose on or off.",
);

pub const REJECTION_MODE: Text = ("設定", "Setting");
pub const REJECTION_LIST: Text = (
    "アドレス/ドメイン(1行に1件、20件まで)",
    "Addresses/domains (one a line, up to 20)",
);
pub const MODE_UNKNOWN: Text = ("設定を選んでください。", "Choose a setting.");
pub const LIST_MALFORMED: Text = (
    "メールアドレスまたはドメインではありません:",
    "Not a mail address or domain:",
);
pub const LIST_TOO_MANY: Text = ("登録できるのは20件までです。", "At most 20 entries.");
pub const LIST_EMPTY: Text = (
    "指定拒否・指定受信には1件以上登録してください。",
    "Reject/receive designated needs at least one entry.",
);
pub const WILL_SET_REJECTION: Text = (
    "迷惑メール設定を次に変更します:",
    "Mail rejection will be set to:",
);

pub const NEW_ADDRESS: Text = ("新しいアドレス", "New address");
pub const ADDRESS_RULES: Text = (
    "3〜30文字。英小文字・数字・「.」「-」「_」。先頭は英字。「..」と末尾の「.」は不可。",
    "3-30 characters: a-z, 0-9, '.', '-', '_'. Starts with a letter. No '..' and no '.' at the end.",
);
pub const ADDRESS_INVALID: Text = ("このアドレスは使えません。", "This address cannot be used.");
pub const ADDRESS_TAKEN: Text = (
    "このアドレスは既に使われています。",
    "This address is already taken.",
);
pub const WILL_SET_ADDRESS: Text = (
    "メールアドレスを次に変更します:",
    "Your mail address will become:",
);

pub const SUSPEND_Q: Text = ("メール機能を停止", "Suspend mail functions");
pub const WILL_SUSPEND: Text = (
    "メール機能を停止します。",
    "Mail functions will be suspended.",
);
pub const WILL_RESUME: Text = (
    "メール機能を再開します。",
    "Mail functions will be resumed.",
);

pub const SECRET_CODE_INTRO: Text = (
    "シークレットコード(4桁)は、メールアドレスが電話番号@docomo.ne.jpの間だけ有効です。登録後は電話番号.コード@docomo.ne.jp宛のメールだけを受信します。",
    "A secret code (4 digits) applies only while your address is PHONENUMBER@docomo.ne.jp: once registered, only mail to PHONENUMBER.CODE@docomo.ne.jp is received.",
);
pub const SECRET_CODE_FORMAT: Text = (
    "シークレットコードは4桁の数字で入力してください。",
    "Enter the secret code as exactly 4 digits.",
);
pub const WILL_SET_SECRET_CODE: Text = (
    "シークレットコード****を登録します。",
    "The secret code **** will be registered.",
);

pub const MESSAGE_INTRO: Text = (
    "MessageR(リクエスト)とMessageF(フリー)を受信するか選んでください。",
    "Choose whether to receive MessageR (request) and MessageF (free).",
);
pub const WILL_SET_MESSAGES: Text = (
    "メッセージサービスを次に変更します:",
    "Message Service will be set to:",
);

pub const MY_MENU_EMPTY: Text = (
    "登録されているサイトはありません。",
    "No sites are registered.",
);
pub const UNREGISTER: Text = ("解除", "Remove");
pub const FREE: Text = ("無料", "Free");
pub const MONTHLY: Text = ("月額", "Monthly ");
pub const YEN: Text = ("円", " yen");
pub const IN_MY_MENU: Text = ("マイメニュー登録済", "In My Menu");
pub const SUBSCRIBED: Text = ("購読中", "Subscribed");
pub const MY_MENU_REGISTER: Text = ("マイメニュー登録", "Register in My Menu");
pub const MY_MENU_UNREGISTER: Text = ("マイメニュー解除", "Remove from My Menu");
pub const SUBSCRIBE: Text = ("有料サイト登録", "Subscribe");
pub const UNSUBSCRIBE: Text = ("有料サイト解除", "Unsubscribe");
pub const WILL_REGISTER: Text = (
    "をマイメニューに登録します。",
    " will be registered in My Menu.",
);
pub const WILL_UNREGISTER: Text = (
    "をマイメニューから解除します。",
    " will be removed from My Menu.",
);
pub const WILL_SUBSCRIBE: Text = (
    "に登録します。登録月から月額料金がかかります。",
    ": you will be subscribed, charged monthly from this month.",
);
pub const WILL_UNSUBSCRIBE: Text = (
    "を解除します。今月分の料金はかかります。",
    ": your subscription will end (this month stays charged).",
);
pub const ALREADY_REGISTERED: Text = ("既に登録されています。", "It is already registered.");
pub const NOT_REGISTERED_SITE: Text = ("登録されていません。", "It is not registered.");
pub const ALREADY_SUBSCRIBED: Text = (
    "既に購読中です。二重に課金されることはありません。",
    "You are already subscribed; nothing was charged again.",
);
pub const NOT_SUBSCRIBED: Text = ("購読していません。", "You are not subscribed.");
pub const NOT_FEE_BASED: Text = ("このサイトは無料です。", "This site is free.");
pub const SETTLEMENT_NO: Text = ("決済番号", "Settlement no.");
pub const SUBSCRIPTIONS: Text = ("購読中の有料サイト", "Fee-based subscriptions");
pub const NO_SUBSCRIPTIONS: Text = (
    "購読中の有料サイトはありません。",
    "No fee-based subscriptions.",
);
pub const MONTHLY_TOTAL: Text = ("月額合計", "Monthly total");
pub const SINCE: Text = ("から", " since");

// i-mode mail.
pub const INBOX_EMPTY: Text = ("受信メールはありません。", "No mail.");
pub const NO_SUBJECT: Text = ("(件名なし)", "(no subject)");
pub const FROM: Text = ("From", "From");
pub const DATE: Text = ("日時", "Date");
pub const SUBJECT: Text = ("件名", "Subject");
pub const BODY: Text = ("本文", "Body");
pub const TO: Text = ("宛先", "To");
pub const DELETE: Text = ("削除", "Delete");
pub const DELETED: Text = ("メールを削除しました。", "The mail has been deleted.");
pub const SEND: Text = ("送信", "Send");
pub const SENT: Text = ("送信しました。", "Sent.");
pub const NOT_DELIVERED: Text = ("送信できませんでした:", "Not delivered:");
pub const TO_INVALID: Text = (
    "宛先のメールアドレスが正しくありません。",
    "The address is not a mail address.",
);
pub const MAIL_RATE: Text = (
    "送信が多すぎます。しばらく待ってから送信してください。",
    "You have sent too many mails: please wait a minute and send again.",
);
pub const TOO_LONG: Text = (
    "件名は全角50文字(100バイト)、本文は全角5000文字(10000バイト)までです。",
    "The subject may be 100 bytes (50 full-width characters), the body 10,000 bytes.",
);
/// Around the model name: there is no such model; where the models are listed.
pub const UNKNOWN_PROFILE: (Text, Text) = (
    ("機種「", "There is no handset model \""),
    (
        "」は登録されていません。機種の一覧はエミュレータの機種選択、またはGET /api/handsetsで確認できます。",
        "\" in garake's catalogue. The models are listed in the emulator's model picker and by GET /api/handsets.",
    ),
);
pub const SUBJECT_LINE_BREAK: Text = (
    "件名に改行は使えません。",
    "The subject cannot contain a line break.",
);
pub const TO_INBOX: Text = ("受信BOX", "Inbox");

pub const ID_NOTIFICATION: Text = ("iモードID通知設定", "i-mode ID notification");
pub const ID_NOTIFICATION_INTRO: Text = (
    "サイトから求められたとき、iモードIDを通知するかどうかを設定します。",
    "Whether sites that ask for it receive your i-mode ID.",
);
pub const NOTIFY: Text = ("通知する", "Notify");
pub const DO_NOT_NOTIFY: Text = ("通知しない", "Do not notify");
pub const WILL_NOTIFY_ID: Text = (
    "iモードIDを通知する設定にします。",
    "Sites that ask will receive your i-mode ID.",
);
pub const WILL_NOT_NOTIFY_ID: Text = (
    "iモードIDを通知しない設定にします。",
    "No site will receive your i-mode ID.",
);
