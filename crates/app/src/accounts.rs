//! Accounts: the password rule, password hashing, and who may enter which values.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use qingshan_plan::{Indicator, Plan};
use qingshan_store::{Actor, NewUser, Role, Store, User};

use crate::{Error, Result};

/// Why a new password is not good enough, if it is not: at least 8 characters from at least
/// three of upper case, lower case, digits and other characters (the usual 等保 rule), and
/// not the username.
pub fn password_problem(password: &str, username: &str) -> Option<&'static str> {
    let classes = [
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if password.chars().count() < 8 {
        Some("密码至少 8 个字符")
    } else if classes < 3 {
        Some("密码须包含大写字母、小写字母、数字、其他字符中的至少三类")
    } else if password.eq_ignore_ascii_case(username) {
        Some("密码不能与用户名相同")
    } else {
        None
    }
}

/// Hashes a password with Argon2id and a random salt.
pub fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::PasswordHash(e.to_string()))
}

/// Checks a password against a stored Argon2 hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Why a user may not record a value for this indicator and division, if they may not.
pub fn value_permission(user: &User, indicator: &Indicator, division: &str) -> Result<(), String> {
    match user.role {
        Role::Admin | Role::Staff => Ok(()),
        Role::Reporter => match &user.unit_id {
            Some(unit) if indicator.is_owned_by(unit) => Ok(()),
            _ => Err(format!(
                "指标 {}（{}）不属于本单位，无权填报",
                indicator.number, indicator.name
            )),
        },
        Role::County => match &user.division_code {
            Some(d) if d == division => Ok(()),
            _ => Err("县（市、区）用户只能填报本行政区划的数据".into()),
        },
        Role::Enterprise => Err("排污单位账号不能填报规划指标".into()),
    }
}

/// Whether a user may report on a task and attach evidence to its reports: staff and
/// administrators always, a reporter for its own unit's tasks only.
pub fn task_permission(user: &User, task: &qingshan_plan::Task) -> Result<()> {
    let allowed = match user.role {
        Role::Admin | Role::Staff => true,
        Role::Reporter => user
            .unit_id
            .as_deref()
            .is_some_and(|u| task.responsible.iter().any(|r| r == u)),
        Role::County | Role::Enterprise => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(Error::Forbidden(format!(
            "任务 {}（{}）不属于本单位",
            task.code(),
            task.title
        )))
    }
}

/// An account as the administrator asks for it, before any check.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// Login name.
    pub username: String,
    /// Name shown; the login name when empty.
    pub display_name: String,
    /// admin, staff, reporter or county.
    pub role: String,
    /// Responsible unit (reporters).
    pub unit_id: Option<String>,
    /// County (county users).
    pub division_code: Option<String>,
    /// The first password, to be changed by the user.
    pub password: String,
}

/// The account to create, checked: a known role, a user name without blanks of at most 64
/// characters, a reporter's unit and a county user's county from the plan (who may enter what
/// depends on them), and a password that passes [`password_problem`]. A refusal is
/// [`Error::Invalid`] on `user`; the password is hashed.
pub fn new_user(plan: &Plan, a: NewAccount) -> Result<NewUser> {
    let username = a.username.trim().to_string();
    let unit_id = a.unit_id.filter(|v| !v.is_empty());
    let division_code = a.division_code.filter(|v| !v.is_empty());
    let problem = match Role::parse(&a.role) {
        None => Some("角色无效".to_string()),
        Some(_)
            if username.is_empty()
                || username.chars().count() > 64
                || username.chars().any(char::is_whitespace) =>
        {
            Some("用户名不能为空、不能含空白，且不超过 64 个字符".to_string())
        }
        Some(Role::Reporter)
            if unit_id
                .as_deref()
                .is_none_or(|u| !plan.units.iter().any(|x| x.id == u)) =>
        {
            Some("责任单位填报员须选择所属责任单位".to_string())
        }
        Some(Role::Enterprise) => Some(
            "排污单位账号须从污染源名录创建：填写统一社会信用代码，初始密码由系统生成".to_string(),
        ),
        Some(Role::County)
            if division_code
                .as_deref()
                .is_none_or(|c| plan.division(c).is_none()) =>
        {
            Some("区县用户须选择所属区县".to_string())
        }
        Some(_) => password_problem(&a.password, &username).map(str::to_string),
    };
    if let Some(why) = problem {
        return Err(Error::invalid("user", why));
    }
    let role = Role::parse(&a.role).unwrap_or(Role::Staff);
    let new = NewUser {
        username,
        display_name: if a.display_name.trim().is_empty() {
            a.username.trim().to_string()
        } else {
            a.display_name.trim().to_string()
        },
        password_hash: hash_password(&a.password)?,
        role,
        unit_id: if role == Role::Reporter {
            unit_id
        } else {
            None
        },
        division_code: if role == Role::County {
            division_code
        } else {
            None
        },
        credit_code: None,
        must_change_password: false,
    };
    Ok(new)
}

/// An enterprise account as staff ask for it: the enterprise by its 统一社会信用代码, the
/// login name and the name shown (the enterprise's name when empty).
#[derive(Debug, Clone)]
pub struct NewEnterpriseAccount {
    /// Login name.
    pub username: String,
    /// Name shown; the enterprise's registered name when empty.
    pub display_name: String,
    /// The enterprise's 统一社会信用代码; it must be in the registry.
    pub credit_code: String,
}

/// Opens an enterprise account (排污单位): the login name follows the rule of every account,
/// the credit code passes the GB 32100 check and names an enterprise of the registry. The
/// first password is generated here and returned once, for the staff member to hand over; it
/// is never stored in clear nor logged, and the account must change it on first sign-in.
/// Refusals are [`Error::Invalid`] on `username` or `credit_code`; a taken name is a conflict.
pub async fn create_enterprise_account(
    store: &Store,
    a: NewEnterpriseAccount,
    actor: &Actor,
) -> Result<(User, String)> {
    let username = a.username.trim().to_string();
    if username.is_empty()
        || username.chars().count() > 64
        || username.chars().any(char::is_whitespace)
    {
        return Err(Error::invalid(
            "username",
            "用户名不能为空、不能含空白，且不超过 64 个字符",
        ));
    }
    let code = a.credit_code.trim().to_uppercase();
    qingshan_sources::check_credit_code(&code).map_err(|e| {
        Error::invalid(
            "credit_code",
            format!("统一社会信用代码「{code}」无效：{e}"),
        )
    })?;
    let registry = store.export_registry().await?;
    let Some(enterprise) = registry.enterprises.iter().find(|e| e.credit_code == code) else {
        return Err(Error::invalid(
            "credit_code",
            format!("污染源名录中没有统一社会信用代码为「{code}」的排污单位"),
        ));
    };
    let password = initial_password(&username);
    let new = NewUser {
        display_name: if a.display_name.trim().is_empty() {
            enterprise.name.clone()
        } else {
            a.display_name.trim().to_string()
        },
        username,
        password_hash: hash_password(&password)?,
        role: Role::Enterprise,
        unit_id: None,
        division_code: None,
        credit_code: Some(code),
        must_change_password: true,
    };
    let user = store.create_user(&new, actor).await?;
    Ok((user, password))
}

/// A first password of 16 characters that passes [`password_problem`]: letters and digits
/// without the easily confused ones, and one `-` so the four classes are there.
pub fn initial_password(username: &str) -> String {
    use rand::Rng;
    const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    const LOWER: &[u8] = b"abcdefghijkmnpqrstuvwxyz";
    const DIGIT: &[u8] = b"23456789";
    let mut rng = rand::rngs::OsRng;
    loop {
        let mut pick = |set: &[u8]| char::from(set[rng.gen_range(0..set.len())]);
        let mut p = String::with_capacity(16);
        for i in 0..15 {
            p.push(match i % 3 {
                0 => pick(UPPER),
                1 => pick(LOWER),
                _ => pick(DIGIT),
            });
            if i == 7 {
                p.push('-');
            }
        }
        if password_problem(&p, username).is_none() {
            return p;
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn password_rule() {
        assert!(password_problem("Short1!", "u").is_some(), "7 characters");
        assert!(password_problem("abcdefgh1", "u").is_some(), "two classes");
        assert!(
            password_problem("Abcdefg1", "u").is_none(),
            "three classes, 8 characters"
        );
        assert!(password_problem("abcdef1!", "u").is_none());
        assert!(
            password_problem("Water123", "water123").is_some(),
            "the username"
        );
    }

    #[test]
    fn initial_passwords_pass_the_rule_and_differ() {
        let a = initial_password("plant");
        let b = initial_password("plant");
        assert_eq!(a.chars().count(), 16);
        assert!(password_problem(&a, "plant").is_none(), "{a}");
        assert_ne!(a, b);
    }

    #[test]
    fn enterprise_accounts_enter_no_values() {
        let plan = qingshan_plan::xinzhou().unwrap();
        let e = User {
            id: 1,
            username: "e".into(),
            display_name: "e".into(),
            role: Role::Enterprise,
            unit_id: None,
            division_code: None,
            credit_code: Some("91140900MA0K00000D".into()),
            active: true,
            must_change_password: false,
        };
        assert!(value_permission(&e, plan.indicator(6).unwrap(), "140900").is_err());
    }

    #[test]
    fn password_round_trip() {
        let h = hash_password("青山绿水2035").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("青山绿水2035", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn reporter_only_own_unit() {
        let plan = qingshan_plan::xinzhou().unwrap();
        let water = User {
            id: 1,
            username: "w".into(),
            display_name: "w".into(),
            role: Role::Reporter,
            unit_id: Some("slj".into()),
            division_code: None,
            credit_code: None,
            active: true,
            must_change_password: false,
        };
        assert!(value_permission(&water, plan.indicator(7).unwrap(), "140900").is_ok());
        assert!(value_permission(&water, plan.indicator(6).unwrap(), "140900").is_err());
        let county = User {
            role: Role::County,
            unit_id: None,
            division_code: Some("140902".into()),
            ..water
        };
        assert!(value_permission(&county, plan.indicator(6).unwrap(), "140902").is_ok());
        assert!(value_permission(&county, plan.indicator(6).unwrap(), "140900").is_err());
    }
}
