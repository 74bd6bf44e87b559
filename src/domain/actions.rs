//! The names of the actions behind the i-mode password, as URLs, menu files
//! and pages name them.

pub const MAIL_REJECTION: &str = "mail-rejection";
pub const CHANGE_ADDRESS: &str = "change-mail-address";
pub const SUSPEND_MAIL: &str = "suspend-mail";
pub const SECRET_CODE: &str = "secret-code";
pub const MESSAGE_SERVICE: &str = "message-service";
/// i-mode ID notification (iモードID通知設定): whether sites may receive the i-mode ID.
pub const ID_NOTIFICATION: &str = "id-notification";
pub const MY_MENU_REGISTER: &str = "my-menu-register";
pub const MY_MENU_UNREGISTER: &str = "my-menu-unregister";
pub const SUBSCRIBE: &str = "subscribe";
pub const UNSUBSCRIBE: &str = "unsubscribe";
