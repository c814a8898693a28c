//! What the gateway accepts: the registered devices, the judgement of a decoded frame (CRC
//! policy, password, whether it carries data) and the upload it becomes. The gateway applies
//! it to frames as they arrive; staff apply it again when they release a newly registered
//! device's quarantined frames. Pure judgement over the store, no sockets.

use std::collections::HashMap;

use qingshan_hj212::{CrcPolicy, CrcVariant, FieldKind, Packet, is_upload};
use qingshan_store::{
    Actor, FactorValues, RegisteredDevice, ReleaseSummary, Released, Store, StoreError, Upload,
};

/// Every MN the gateway accepts data from, with what it is judged by: pollution-source devices and the devices of
/// automatic air stations (ST=22) and surface-water stations (ST=21), whose uploads are stored
/// alike and turned into station-hours and daily section values by the supervisor.
pub async fn known_devices(store: &Store) -> Result<HashMap<String, RegisteredDevice>, StoreError> {
    let mut map: HashMap<String, RegisteredDevice> = store
        .registered_devices()
        .await?
        .into_iter()
        .map(|d| (d.mn.clone(), d))
        .collect();
    for a in store.air_station_devices().await? {
        map.entry(a.mn.clone()).or_insert(RegisteredDevice {
            mn: a.mn,
            outlet_id: 0,
            protocol: "2017".into(),
            crc_policy: a.crc_policy,
            password: a.password,
            interval_secs: 3600,
        });
    }
    for w in store.water_section_devices().await? {
        map.entry(w.mn.clone()).or_insert(RegisteredDevice {
            mn: w.mn,
            outlet_id: 0,
            protocol: "2017".into(),
            crc_policy: w.crc_policy,
            password: w.password,
            interval_secs: 3600,
        });
    }
    Ok(map)
}

/// The factors of a packet as the store keeps them (codes in their canonical form).
pub fn factor_values(p: &Packet) -> Vec<FactorValues> {
    let text =
        |f: &qingshan_hj212::Factor<'_>, k: FieldKind| f.value(k).map(|v| v.text().to_string());
    p.factors()
        .iter()
        .map(|f| {
            let extra: Vec<String> = f
                .items
                .iter()
                .filter(|i| {
                    matches!(
                        i.kind(),
                        FieldKind::Other
                            | FieldKind::SampleTime
                            | FieldKind::ZsMin
                            | FieldKind::ZsMax
                    )
                })
                .map(|i| format!("{}={}", i.field(), i.value.text()))
                .collect();
            FactorValues {
                factor: f.canonical_code().to_string(),
                rtd: text(f, FieldKind::Rtd),
                min: text(f, FieldKind::Min),
                avg: text(f, FieldKind::Avg),
                max: text(f, FieldKind::Max),
                cou: text(f, FieldKind::Cou),
                zs_rtd: text(f, FieldKind::ZsRtd),
                zs_avg: text(f, FieldKind::ZsAvg),
                flag: text(f, FieldKind::Flag),
                eflag: text(f, FieldKind::EFlag),
                extra: if extra.is_empty() {
                    None
                } else {
                    Some(extra.join(";"))
                },
            }
        })
        .collect()
}

/// How a decoded frame from a registered device is taken.
pub enum Decision {
    /// Accepted; an upload carries data to store.
    Accept(Option<Upload>),
    /// Not taken as valid (the device's CRC policy).
    Reject {
        /// Stable kind of the rejection.
        kind: &'static str,
        /// Why, in Chinese.
        message: String,
    },
    /// Valid but not accepted (wrong password).
    Refuse {
        /// Stable kind of the refusal.
        kind: &'static str,
        /// Why, in Chinese.
        message: String,
    },
}

/// Compares the frame's PW with the registered one in constant time (`subtle`): `!=` stops
/// at the first differing byte, and over many tries its timing tells an attacker how much of
/// a guess was right. Only the length may show, and the length is no secret.
pub fn password_matches(given: Option<&str>, expected: &str) -> bool {
    use subtle::ConstantTimeEq;
    given.is_some_and(|g| bool::from(g.as_bytes().ct_eq(expected.as_bytes())))
}

/// The gateway's judgement of a frame from registered device `d`: on arrival, and when
/// quarantined frames are released.
pub fn decide(p: &Packet, d: &RegisteredDevice) -> Decision {
    if d.crc_policy == "strict" && p.crc_variant() != CrcVariant::Hj212 {
        return Decision::Reject {
            kind: "crc_mismatch",
            message: format!(
                "设备 CRC 策略为 strict，但帧使用 {} 校验",
                p.crc_variant().as_str()
            ),
        };
    }
    if !password_matches(p.pw(), &d.password) {
        return Decision::Refuse {
            kind: "bad_password",
            message: "访问密码（PW）错误".into(),
        };
    }
    if !p.cn_code().is_some_and(is_upload) {
        return Decision::Accept(None);
    }
    Decision::Accept(Some(Upload {
        mn: p.mn().unwrap_or_default().to_string(),
        cn: p.cn().to_string(),
        qn: p.qn().unwrap_or_default().to_string(),
        data_time: p.data_time().unwrap_or_default().to_string(),
        pno: i64::from(p.pno().unwrap_or(0)),
        st: p.st().map(str::to_string),
        flag: p.flag().map(i64::from),
        factors: factor_values(p),
    }))
}

/// Releases the quarantined frames of `mn`, registered since, into its data: each frame is
/// decoded and judged as if it arrived now (CRC policy, password), and uploads are stored by
/// the store's ingest rules (a resent frame once). Audited as done by `actor`.
pub async fn release_quarantine(
    store: &Store,
    mn: &str,
    actor: &Actor,
) -> Result<ReleaseSummary, crate::Error> {
    let device = known_devices(store).await?.remove(mn);
    // Releasing an MN that is still unknown would only mark its frames refused and lose the
    // quarantine: the device is registered first.
    if device.is_none() {
        return Err(crate::Error::Invalid {
            field: "mn".into(),
            message: format!("设备 {mn} 尚未登记：请先在污染源登记中登记该设备，再放行其隔离报文"),
        });
    }
    store
        .release_quarantine(mn, actor, |bytes| {
            let Some(d) = &device else {
                return Released::Refused(format!("设备 {mn} 未登记"));
            };
            let frame = bytes.strip_suffix(b"\r\n").unwrap_or(bytes);
            match qingshan_hj212::decode_frame(frame, CrcPolicy::Field) {
                Err(e) => Released::Refused(format!("报文无法解码：{e}")),
                Ok(p) => match decide(&p, d) {
                    Decision::Accept(Some(u)) => Released::Upload(u),
                    Decision::Accept(None) => Released::NoData,
                    Decision::Reject { message, .. } | Decision::Refuse { message, .. } => {
                        Released::Refused(message)
                    }
                },
            }
        })
        .await
        .map_err(crate::Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_match_exactly() {
        assert!(password_matches(Some("123456"), "123456"));
        for wrong in [
            Some("123457"),
            Some("12345"),
            Some("1234567"),
            Some(""),
            None,
        ] {
            assert!(!password_matches(wrong, "123456"), "{wrong:?}");
        }
    }
}
