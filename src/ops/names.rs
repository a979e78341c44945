//! Name checks done before the kernel sees a request, so the error can say
//! exactly what is wrong instead of EINVAL.

/// Linux keeps interface names in IFNAMSIZ (16) bytes including the NUL.
const IFNAME_MAX: usize = 15;
/// A namespace name is a file name under /run/netns.
const NETNS_NAME_MAX: usize = 255;

pub fn check_ifname(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("an interface name cannot be empty".into());
    }
    if name.len() > IFNAME_MAX {
        return Err(format!("interface name '{name}' is {} bytes; Linux allows {IFNAME_MAX}", name.len()));
    }
    if name == "." || name == ".." {
        return Err(format!("'{name}' cannot be an interface name"));
    }
    if let Some(bad) = name.chars().find(|c| *c == '/' || *c == ':' || c.is_whitespace()) {
        return Err(format!(
            "interface name '{}' contains {}; Linux forbids '/', ':' and whitespace in interface names",
            shown(name),
            describe_char(bad)
        ));
    }
    if name.contains('\0') {
        let kept = name.split('\0').next().unwrap_or_default();
        return Err(format!(
            "interface name '{}' contains a NUL byte, which would end the name at '{kept}'",
            shown(name)
        ));
    }
    if name.contains('%') {
        return Err(format!(
            "interface name '{}' contains '%', which Linux reads as a pattern to number links by \
             (eth%d makes eth0, eth1, ...): name each link in full",
            shown(name)
        ));
    }
    Ok(())
}

/// A name as a message shows it: control characters as escapes, so that
/// a NUL or a newline does not hide in the text.
pub fn shown(name: &str) -> String {
    name.chars().map(|c| if c.is_control() { c.escape_debug().to_string() } else { c.to_string() }).collect()
}

pub fn check_netns_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("a namespace name cannot be empty".into());
    }
    if name.len() > NETNS_NAME_MAX {
        return Err(format!(
            "namespace name '{name}' is {} bytes; at most {NETNS_NAME_MAX} fit in /run/netns",
            name.len()
        ));
    }
    if name == "." || name == ".." {
        return Err(format!("'{name}' cannot be a namespace name"));
    }
    if let Some(bad) = name.chars().find(|c| *c == '/' || *c == '\0' || c.is_whitespace()) {
        return Err(format!(
            "namespace name '{}' contains {}; names are files in /run/netns",
            shown(name),
            describe_char(bad)
        ));
    }
    Ok(())
}

/// A sysctl key such as net.ipv4.ip_forward: a path under /proc/sys.
pub fn check_sysctl_key(key: &str) -> Result<(), String> {
    let plain = |c: char| c.is_ascii_alphanumeric() || "._-".contains(c);
    if key.is_empty() || !key.chars().all(plain) || key.split('.').any(|part| part.is_empty()) {
        return Err(format!("'{key}' is not a sysctl name (like net.ipv4.ip_forward)"));
    }
    Ok(())
}

/// Settings whose value is a program or path the kernel runs or opens as
/// root: netscript never writes them, so no ledger can make it.
const NEVER_SET: &[&str] = &[
    "kernel.core_pattern",
    "kernel.modprobe",
    "kernel.hotplug",
    "kernel.poweroff_cmd",
    "kernel.usermodehelper",
];

/// Whether `key` may be set from inside namespace `ns`: network settings
/// (net.*) belong to a network namespace; every other setting is the
/// host's, whichever namespace writes it.
pub fn check_sysctl_scope(key: &str, in_named_ns: bool) -> Result<(), String> {
    check_sysctl_key(key)?;
    if let Some(never) =
        NEVER_SET.iter().find(|never| key == **never || key.starts_with(&format!("{never}.")))
    {
        return Err(format!(
            "netscript does not set {never}: its value is a program the kernel runs as root"
        ));
    }
    if key.starts_with("fs.binfmt_misc") {
        return Err(format!("netscript does not set {key}: it makes the kernel run programs"));
    }
    if in_named_ns && !key.starts_with("net.") {
        return Err(format!(
            "{key} is not a network setting: every namespace shares the host's, so setting it here would \
             change the host; set it on the host, with #{{host_wide: true}} to say so"
        ));
    }
    Ok(())
}

/// A value read back from a ledger, to be written back to `key` by `down`:
/// only plain values, never a path or a pipe to a program.
pub fn check_sysctl_restore(key: &str, value: &str) -> Result<(), String> {
    check_sysctl_key(key)?;
    let plain = |c: char| c.is_ascii_alphanumeric() || " \t._-:,".contains(c);
    if value.len() > 256 || !value.chars().all(plain) {
        return Err(format!("the earlier value of {key} is not a plain setting; it is not written back"));
    }
    Ok(())
}

/// A character in words: one that cannot be seen gets its name or code.
pub fn describe_char(c: char) -> String {
    match c {
        ' ' => "a space".into(),
        '\t' => "a tab".into(),
        '\n' => "a newline".into(),
        '\r' => "a carriage return".into(),
        '\0' => "a NUL byte".into(),
        '\u{feff}' => "a byte-order mark (U+FEFF)".into(),
        c if c.is_whitespace() => format!("whitespace (U+{:04X})", c as u32),
        c if c.is_control() || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2060}') => {
            format!("an invisible character (U+{:04X})", c as u32)
        }
        c => format!("'{c}'"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ifname_limits() {
        assert!(check_ifname("veth0").is_ok());
        assert!(check_ifname("a234567890abcde").is_ok());
        assert_eq!(
            check_ifname("veth_internal_ns").unwrap_err(),
            "interface name 'veth_internal_ns' is 16 bytes; Linux allows 15"
        );
        assert!(check_ifname("").unwrap_err().contains("empty"));
        assert!(check_ifname("a/b").unwrap_err().contains("'/'"));
        assert!(check_ifname("a:b").unwrap_err().contains("':'"));
        assert!(check_ifname("a b").unwrap_err().contains("a space"));
        assert!(check_ifname("..").is_err());
        assert_eq!(
            check_ifname("a%b").unwrap_err(),
            "interface name 'a%b' contains '%', which Linux reads as a pattern to number links by \
             (eth%d makes eth0, eth1, ...): name each link in full"
        );
        assert_eq!(
            check_ifname("br\0x").unwrap_err(),
            "interface name 'br\\0x' contains a NUL byte, which would end the name at 'br'"
        );
    }

    #[test]
    fn ifname_counts_bytes_not_chars() {
        // Eight two-byte characters: 16 bytes.
        assert!(check_ifname("éééééééé").unwrap_err().contains("16 bytes"));
    }

    #[test]
    fn sysctl_keys() {
        assert!(check_sysctl_key("net.ipv4.ip_forward").is_ok());
        assert!(check_sysctl_key("net.ipv6.conf.all.forwarding").is_ok());
        assert!(check_sysctl_key("net/../../etc").is_err());
        assert!(check_sysctl_key("net..x").is_err());
        assert!(check_sysctl_key("").is_err());
    }

    #[test]
    fn sysctl_scope_and_restore() {
        assert!(check_sysctl_scope("net.ipv4.ip_forward", true).is_ok());
        assert!(check_sysctl_scope("kernel.domainname", false).is_ok());
        assert!(check_sysctl_scope("kernel.domainname", true).unwrap_err().contains("not a network setting"));
        assert!(check_sysctl_scope("kernel.core_pattern", false).unwrap_err().contains("runs as root"));
        assert!(check_sysctl_scope("kernel.usermodehelper.bset", false).is_err());
        assert!(check_sysctl_restore("net.ipv4.ip_forward", "0").is_ok());
        assert!(check_sysctl_restore("net.ipv4.ip_local_port_range", "32768\t60999").is_ok());
        assert!(check_sysctl_restore("kernel.domainname", "|/bin/sh").is_err());
        assert!(check_sysctl_restore("kernel.domainname", "/tmp/x").is_err());
    }

    #[test]
    fn netns_names() {
        assert!(check_netns_name("web-ns").is_ok());
        assert!(check_netns_name("ns_internal").is_ok());
        assert!(check_netns_name("").is_err());
        assert!(check_netns_name("a/b").unwrap_err().contains("'/'"));
        assert!(check_netns_name("a b").is_err());
        assert!(check_netns_name(&"x".repeat(256)).is_err());
    }
}
