//! A user's devices: their live sessions, described for people (browser, system, device from
//! the user agent), and signing them out. Signing a device out also ends the refresh tokens
//! issued to its session, so nothing it holds keeps working.

use std::net::IpAddr;

use authn::{Authn, AuthnError, AuthnTx};
use chrono::{DateTime, TimeDelta, Utc};
use uuid::Uuid;

/// One signed-in device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Device {
    pub session_id: Uuid,
    pub browser: String,
    pub system: String,
    pub kind: String,
    pub ip_address: Option<IpAddr>,
    pub created_at: DateTime<Utc>,
    /// When it was last seen: sessions slide their expiry on activity (see
    /// `session_policy`), so the last activity is the expiry minus the idle timeout.
    pub last_active_at: DateTime<Utc>,
    pub current: bool,
}

/// What makes a browser and device the same one for the new-device check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeviceKey {
    /// A browser's family (not its version: an update is not a new device), system and kind.
    Browser {
        name: String,
        system: String,
        kind: String,
    },
    /// No user agent, or one that names no browser (API clients, scripts, robots).
    Unrecognised,
}

impl DeviceKey {
    /// The key as `gatehouse.known_devices` keeps it: one text, the same for the same key.
    pub fn stored(&self) -> String {
        match self {
            DeviceKey::Browser { name, system, kind } => {
                format!("browser\t{kind}\t{system}\t{name}")
            }
            DeviceKey::Unrecognised => "unrecognised".to_owned(),
        }
    }
}

pub fn device_key(user_agent: Option<&str>) -> DeviceKey {
    user_agent
        .and_then(|ua| woothee::parser::Parser::new().parse(ua))
        .filter(|r| {
            matches!(r.category, "pc" | "smartphone" | "mobilephone") && r.name != "UNKNOWN"
        })
        .map_or(DeviceKey::Unrecognised, |r| DeviceKey::Browser {
            name: r.name.to_owned(),
            system: r.os.to_owned(),
            kind: r.category.to_owned(),
        })
}

/// Browser, operating system and kind of device, as a person would name them.
pub fn describe_user_agent(user_agent: Option<&str>) -> (String, String, String) {
    let parsed = user_agent.and_then(|ua| woothee::parser::Parser::new().parse(ua));
    match parsed {
        Some(r) => {
            let browser = if r.name == "UNKNOWN" {
                "Unknown browser".to_owned()
            } else if r.version.is_empty() || r.version == "UNKNOWN" {
                r.name.to_owned()
            } else {
                let major = r.version.split('.').next().unwrap_or(r.version);
                format!("{} {major}", r.name)
            };
            let system = if r.os == "UNKNOWN" {
                "Unknown system".to_owned()
            } else {
                r.os.to_owned()
            };
            let kind = match r.category {
                "pc" => "Computer",
                "smartphone" => "Phone",
                "mobilephone" => "Phone",
                "appliance" => "Appliance",
                "crawler" => "Robot",
                _ => "Unknown device",
            };
            (browser, system, kind.to_owned())
        }
        None => (
            "Unknown browser".to_owned(),
            "Unknown system".to_owned(),
            "Unknown device".to_owned(),
        ),
    }
}

/// The user's live sessions, the current one first, then the most recently active.
#[tracing::instrument(skip_all)]
pub async fn list_devices(
    authn: &Authn,
    user_id: Uuid,
    current_session: Uuid,
    idle_timeout: TimeDelta,
) -> Result<Vec<Device>, AuthnError> {
    let now = Utc::now();
    let mut devices: Vec<Device> = authn
        .list_sessions(user_id)
        .await?
        .into_iter()
        .map(|s| {
            let (browser, system, kind) = describe_user_agent(s.user_agent.as_deref());
            let last_active_at = (s.expires_at - idle_timeout).clamp(s.created_at, now);
            Device {
                session_id: s.session_id,
                browser,
                system,
                kind,
                ip_address: s.ip_address,
                created_at: s.created_at,
                last_active_at,
                current: s.session_id == current_session,
            }
        })
        .collect();
    devices.sort_by(|a, b| {
        b.current
            .cmp(&a.current)
            .then(b.last_active_at.cmp(&a.last_active_at))
    });
    Ok(devices)
}

async fn revoke_refresh_tokens_of(
    tx: &mut AuthnTx<'_>,
    user_id: Uuid,
    sessions: impl Fn(Uuid) -> bool,
) -> Result<(), AuthnError> {
    let mut families: Vec<Uuid> = tx
        .list_refresh_tokens(user_id)
        .await?
        .into_iter()
        .filter(|t| sessions(t.session_id))
        .map(|t| t.family_id)
        .collect();
    families.sort();
    families.dedup();
    for family in families {
        tx.revoke_refresh_token_family(family).await?;
    }
    Ok(())
}

/// Signs one of the user's devices out; `false` if it was not theirs or already ended.
#[tracing::instrument(skip_all)]
pub async fn sign_out_device(
    authn: &Authn,
    user_id: Uuid,
    session_id: Uuid,
) -> Result<bool, AuthnError> {
    let mut tx = authn.begin().await?;
    revoke_refresh_tokens_of(&mut tx, user_id, |s| s == session_id).await?;
    let revoked = tx.revoke_session_by_id(session_id, user_id).await?;
    tx.commit().await?;
    Ok(revoked)
}

/// Signs out every device of the user but `current`; returns how many.
#[tracing::instrument(skip_all)]
pub async fn sign_out_other_devices(
    authn: &Authn,
    user_id: Uuid,
    current: Uuid,
) -> Result<i32, AuthnError> {
    let mut tx = authn.begin().await?;
    revoke_refresh_tokens_of(&mut tx, user_id, |s| s != current).await?;
    let count = tx.revoke_other_sessions(user_id, current).await?;
    tx.commit().await?;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agents_are_described_for_people() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                      Chrome/120.0.6099.109 Safari/537.36";
        assert_eq!(
            describe_user_agent(Some(chrome)),
            ("Chrome 120".into(), "Linux".into(), "Computer".into())
        );
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 \
                      (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1";
        let (browser, system, kind) = describe_user_agent(Some(iphone));
        assert_eq!(
            (browser.as_str(), system.as_str(), kind.as_str()),
            ("Safari 17", "iPhone", "Phone")
        );
        assert_eq!(
            describe_user_agent(None),
            (
                "Unknown browser".into(),
                "Unknown system".into(),
                "Unknown device".into()
            )
        );
        assert!(describe_user_agent(Some("curl/8.0")).0.contains("curl"));
        assert_eq!(describe_user_agent(Some("???")).0, "Unknown browser");
    }
}
