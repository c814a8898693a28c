//! What part of the pollution-source data a user may see. An enterprise account (排污单位) sees
//! its own enterprise — the one 统一社会信用代码 it is bound to — and nothing else; every
//! other role keeps the checks of the route it uses. Pages, API and the features built on the
//! sources (alarms, incidents, marks, orders) ask here, so the rule is written once.

use std::collections::HashMap;

use qingshan_store::{DeviceOverview, Role, Store, User};

use crate::{Error, Result};

/// The enterprise a user is confined to: `Some(credit code)` for an enterprise account,
/// `None` for every other role (not confined by enterprise).
pub fn confined_to(user: &User) -> Option<&str> {
    match user.role {
        // An enterprise account without a code sees nothing: the empty code matches no row.
        Role::Enterprise => Some(user.credit_code.as_deref().unwrap_or("")),
        _ => None,
    }
}

/// Which enforcement records (orders, cases) the user may list: `(county, credit code)` to
/// confine to. Staff see all, a county official their county, an enterprise account its own;
/// others are refused, the message naming `what` (e.g. "督办单").
pub fn enforcement_scope(
    user: Option<&User>,
    what: &str,
) -> Result<(Option<String>, Option<String>)> {
    if let Some(code) = user.and_then(confined_to) {
        return Ok((None, Some(code.to_string())));
    }
    let u = user.ok_or(Error::Unauthenticated)?;
    match u.role {
        Role::Admin | Role::Staff => Ok((None, None)),
        Role::County => match &u.division_code {
            Some(code) => Ok((Some(code.clone()), None)),
            None => Err(Error::Forbidden("区县账号未设置所属区县".into())),
        },
        _ => Err(Error::Forbidden(format!(
            "{what}仅向生态环境局工作人员、区县账号和所涉排污单位开放"
        ))),
    }
}

/// Whether `user` (if any) may see what belongs to the enterprise `credit_code`: an enterprise
/// account only its own; anyone else is not refused here. A refusal is [`Error::Forbidden`]
/// with a Chinese message.
pub fn may_see_enterprise(user: Option<&User>, credit_code: &str) -> Result<()> {
    match user.and_then(confined_to) {
        Some(own) if own != credit_code => Err(Error::Forbidden(
            "排污单位账号只能查看本单位的排放口、设备和数据".into(),
        )),
        _ => Ok(()),
    }
}

/// Whether `user` may see the device `mn` (its data, statistics, alarms, incidents, marks):
/// an enterprise account only its own enterprise's devices. An unknown device is
/// [`Error::NotFound`] for everyone but an enterprise account, which is refused
/// ([`Error::Forbidden`]) so that it cannot probe which MNs exist.
pub async fn may_see_device(store: &Store, user: Option<&User>, mn: &str) -> Result<()> {
    let Some(own) = user.and_then(confined_to) else {
        return Ok(());
    };
    // One device's owner, not the whole registry's.
    match store.device_overview(mn).await? {
        Some(d) => may_see_enterprise(user, &d.credit_code),
        None if own.is_empty() => may_see_enterprise(user, "-"),
        None => Err(Error::Forbidden(format!(
            "设备 {mn} 不属于本单位，排污单位账号无权查看"
        ))),
    }
}

/// The enterprise of every registered device: MN → 统一社会信用代码. For lists keyed by MN
/// (alarms, incidents, marks, orders):
/// `visible(user, items, |i| owners.get(&i.mn).map_or("", String::as_str))` keeps an
/// enterprise account's own and drops those of unregistered devices.
pub async fn device_owners(store: &Store) -> Result<HashMap<String, String>> {
    Ok(store
        .registry_overview()
        .await?
        .into_iter()
        .map(|d| (d.mn, d.credit_code))
        .collect())
}

/// Keeps the items of a list that `user` may see, given each item's enterprise code: all of
/// them for anyone not confined to an enterprise.
pub fn visible<T>(user: Option<&User>, items: Vec<T>, credit_code: impl Fn(&T) -> &str) -> Vec<T> {
    match user.and_then(confined_to) {
        Some(own) => items
            .into_iter()
            .filter(|i| credit_code(i) == own)
            .collect(),
        None => items,
    }
}

/// The devices of a registry overview that `user` may see (see [`visible`]).
pub fn visible_devices(user: Option<&User>, devices: Vec<DeviceOverview>) -> Vec<DeviceOverview> {
    visible(user, devices, |d| d.credit_code.as_str())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn user(role: Role, credit_code: Option<&str>) -> User {
        User {
            id: 1,
            username: "u".into(),
            display_name: "u".into(),
            role,
            unit_id: None,
            division_code: None,
            credit_code: credit_code.map(str::to_string),
            active: true,
            must_change_password: false,
        }
    }

    #[test]
    fn enterprise_sees_only_its_own() {
        let e = user(Role::Enterprise, Some("A"));
        assert!(may_see_enterprise(Some(&e), "A").is_ok());
        let err = may_see_enterprise(Some(&e), "B").unwrap_err();
        assert_eq!(err.kind(), "forbidden");
        let items = vec![("A", 1), ("B", 2), ("A", 3)];
        assert_eq!(
            visible(Some(&e), items.clone(), |i| i.0),
            [("A", 1), ("A", 3)]
        );
        let staff = user(Role::Staff, None);
        assert!(may_see_enterprise(Some(&staff), "B").is_ok());
        assert_eq!(visible(Some(&staff), items.clone(), |i| i.0).len(), 3);
        assert_eq!(visible(None, items, |i| i.0).len(), 3);
    }

    #[test]
    fn an_enterprise_account_without_a_code_sees_nothing() {
        let e = user(Role::Enterprise, None);
        assert!(may_see_enterprise(Some(&e), "A").is_err());
        assert!(visible(Some(&e), vec![("A", 1)], |i| i.0).is_empty());
    }
}
