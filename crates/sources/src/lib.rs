//! Pollution sources as data: enterprises with their 统一社会信用代码, outlets (排放口),
//! monitoring devices (数采仪, known by MN) and permits (排污许可证) with per-factor limits;
//! and the registry file that carries them. Pure: no I/O beyond the reader it is given.

pub mod credit;
mod credit_code;
pub mod curtailment;
pub mod disclosure;
pub mod heavy;
pub mod legal;
pub mod marking;
mod registry;
pub mod stats;
pub mod supervision;

pub use credit_code::{CreditCodeError, check_credit_code, credit_code_check_char};
pub use registry::{
    CrcPolicyName, Device, Enterprise, Limit, Outlet, OutletKind, PERMIT_CLASSES, Permit,
    REGISTRY_COLUMNS, Registry, RegistryError, permit_class_name, permit_required, read_registry,
    read_registry_all, registry_rows, write_registry,
};
