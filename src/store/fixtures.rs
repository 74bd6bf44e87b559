//! The demo lines and shop staff, as data, and their rows.

use rusqlite::Connection;

use super::error::Error;
use crate::domain::Msisdn;
use crate::store::lines::{self, NewLine};

/// One demo line with its secrets in clear (they are documented in the README).
pub struct DemoLine {
    pub msisdn: &'static str,
    pub name_ja: &'static str,
    pub name_en: &'static str,
    pub pin: &'static str,
    pub network_pin: &'static str,
    pub daccount: Option<(&'static str, &'static str)>,
    pub mail_local: &'static str,
    pub id_doc: (&'static str, &'static str),
    pub mail_suspended: bool,
    pub rejection: (&'static str, &'static [&'static str]),
    pub secret_code: Option<&'static str>,
}

pub const DEMO_LINES: &[DemoLine] = &[
    DemoLine {
        msisdn: "09012340001",
        name_ja: "ドコモ太郎",
        name_en: "Taro Docomo",
        pin: "0000",
        network_pin: "1234",
        daccount: Some(("taro.docomo", "Demo-Pass-0001")),
        mail_local: "taro-demo",
        id_doc: ("drivers_license", "DL-1234-0001"),
        mail_suspended: false,
        rejection: ("off", &[]),
        secret_code: None,
    },
    DemoLine {
        msisdn: "09012340002",
        name_ja: "ドコモ花子",
        name_en: "Hanako Docomo",
        pin: "2580",
        network_pin: "5678",
        daccount: Some(("hanako.docomo", "Demo-Pass-0002")),
        mail_local: "09012340002",
        id_doc: ("my_number_card", "MN-5678-0002"),
        mail_suspended: false,
        rejection: ("receive_designated", &["taro-demo@docomo.ne.jp"]),
        secret_code: Some("7777"),
    },
    DemoLine {
        msisdn: "09012340003",
        name_ja: "鈴木一郎",
        name_en: "Ichiro Suzuki",
        pin: "0000",
        network_pin: "9012",
        daccount: None,
        mail_local: "ichiro-demo",
        id_doc: ("passport", "TK1234567"),
        mail_suspended: true,
        rejection: ("off", &[]),
        secret_code: None,
    },
];

/// Demo docomo Shop staff: (id, password).
pub const DEMO_STAFF: &[(&str, &str)] = &[("staff01", "Shop-Pass-01")];

/// The demo lines' and staff's secrets in clear, in the order
/// `replace_with_demo` takes their hashes.
pub fn demo_secrets() -> Vec<&'static str> {
    let mut all: Vec<&str> = Vec::new();
    for l in DEMO_LINES {
        all.extend([l.pin, l.network_pin]);
        all.extend(l.daccount.map(|(_, pw)| pw));
    }
    all.extend(DEMO_STAFF.iter().map(|(_, pw)| *pw));
    all
}

/// Inside the caller's transaction: deletes every line, partner account and
/// log, then inserts the demo lines and staff, taking each secret's hash
/// from `next` in `demo_secrets` order.
pub fn replace_with_demo(
    tx: &Connection,
    next: &mut dyn FnMut() -> String,
    now: i64,
) -> Result<(), Error> {
    tx.execute_batch(
        "DELETE FROM support_inquiries; DELETE FROM partner_temp_passwords; DELETE FROM partner_tokens;
         DELETE FROM partner_accounts; DELETE FROM staff; DELETE FROM throttle; DELETE FROM mailbox; DELETE FROM mail_log; DELETE FROM outbox; DELETE FROM billing_ledger; DELETE FROM subscriptions; DELETE FROM my_menu;
         DELETE FROM rejection_list; DELETE FROM lines; DELETE FROM audit;",
    )?;
    for demo in DEMO_LINES {
        let msisdn = Msisdn::parse(demo.msisdn).expect("demo numbers are valid");
        let (pin, network_pin) = (next(), next());
        let daccount = demo.daccount.map(|(id, _)| (id, next()));
        lines::insert(
            tx,
            &NewLine {
                msisdn: &msisdn,
                name_ja: demo.name_ja,
                name_en: demo.name_en,
                mail_local: demo.mail_local,
                pin_hash: &pin,
                network_pin_hash: &network_pin,
                daccount: daccount.as_ref().map(|(id, h)| (*id, h.as_str())),
                id_doc: Some(demo.id_doc),
                mail_suspended: demo.mail_suspended,
                rejection: demo.rejection,
                secret_code: demo.secret_code,
            },
            now,
        )?;
    }
    for (id, _) in DEMO_STAFF {
        super::staff::insert(tx, id, &next())?;
    }
    Ok(())
}
