//! Who is at the terminal, as the audit log and VictorOps record a command's actor (`cli:$USER`).

pub(super) fn operator() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    format!("cli:{user}")
}
