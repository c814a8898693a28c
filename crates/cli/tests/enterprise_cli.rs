//! `qingshan user add --role enterprise --credit-code …`: an enterprise account for an
//! enterprise of the registry, with a generated first password printed once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

const REGISTRY: &str = "credit_code,enterprise_name,division_code,outlet_code,outlet_name,outlet_kind,mn,protocol,crc_policy,password,interval_secs,permit_number,permit_valid_from,permit_valid_to,factor_code,hourly_limit,use_converted,reference_o2,annual_total_t
9144030071526726XG,某热电有限公司,140902,DA001,1号锅炉,gas,MNCLI0001,2017,strict,123456,3600,P-001,2024-01-01,2028-12-31,a21026,35,1,6,120
";

fn run(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_qingshan"))
        .args(args)
        .env_remove("QINGSHAN_DB")
        .env_remove("QINGSHAN_PASSWORD")
        .output()
        .unwrap()
}

#[test]
fn enterprise_accounts_from_the_command_line() {
    let dir = std::env::temp_dir().join(format!("qingshan-ent-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}", dir.join("e.db").display());
    let registry = dir.join("registry.csv");
    std::fs::write(&registry, REGISTRY).unwrap();
    let out = run(&["sources", "import", registry.to_str().unwrap(), "--db", &db]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let add = |code: Option<&str>, name: &str| {
        let mut args = vec![
            "user",
            "add",
            "--username",
            name,
            "--role",
            "enterprise",
            "--db",
            &db,
        ];
        if let Some(c) = code {
            args.extend(["--credit-code", c]);
        }
        run(&args)
    };
    let out = add(None, "plant");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--credit-code"));
    let out = add(Some("9144030071526726X1"), "plant");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("校验位"));
    let out = add(Some("91140900MA0K00000D"), "plant");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("污染源名录中没有"));
    let out = add(Some("9144030071526726XG"), "plant");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("排污单位") && stdout.contains("初始密码"),
        "{stdout}"
    );
    let password = stdout.rsplit('：').next().unwrap().trim();
    assert_eq!(password.chars().count(), 16, "{stdout}");
    let list = run(&["user", "list", "--db", &db]);
    assert!(
        String::from_utf8_lossy(&list.stdout).contains("plant\tenterprise\t\t\t9144030071526726XG")
    );
    let _ = std::fs::remove_dir_all(&dir);
}
