//! Self-signed certificates: made with rcgen for a set of host names, written
//! to files, and kept in the data dir so that a browser that was told to trust
//! one keeps trusting it across restarts.

use std::collections::BTreeSet;
use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use rcgen::{CertificateParams, DnType, ExtendedKeyUsagePurpose, KeyPair, KeyUsagePurpose};
use time::{Duration, OffsetDateTime};
use x509_parser::extensions::GeneralName;

use super::{Identity, ServerTls, TlsError, fingerprint};

/// Validity of the certificate `serve --tls-self-signed` makes.
const SELF_SIGNED_DAYS: u32 = 365;
/// A kept certificate this close to its end is replaced at start-up.
const RENEW_BEFORE: Duration = Duration::days(30);

/// A new certificate and its key, in PEM.
pub struct Generated {
    pub cert_pem: String,
    pub key_pem: String,
    pub fingerprint: String,
}

/// Makes a self-signed certificate (ECDSA P-256) for `names`, which must have
/// passed through [`hostnames`].
pub fn generate(names: &[String], days: u32) -> Result<Generated, TlsError> {
    let mut params = CertificateParams::new(names.to_vec()).map_err(TlsError::Generate)?;
    params
        .distinguished_name
        .push(DnType::CommonName, "bankbox self-signed");
    let now = OffsetDateTime::now_utc();
    // An hour back, for clients whose clock is a little behind.
    params.not_before = now - Duration::hours(1);
    params.not_after = now + Duration::days(days.into());
    // Some clients (macOS, iOS) refuse server certificates without these.
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let key = KeyPair::generate().map_err(TlsError::Generate)?;
    let cert = params.self_signed(&key).map_err(TlsError::Generate)?;
    Ok(Generated {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        fingerprint: fingerprint(cert.der()),
    })
}

/// The names a certificate is for: the requested ones or else the defaults,
/// checked, in one spelling (lower-case DNS names, IP addresses as Rust prints
/// them), sorted and without duplicates, so two lists compare equal exactly
/// when they name the same hosts.
pub fn hostnames(requested: &[String]) -> Result<Vec<String>, TlsError> {
    let given: Vec<&str> = requested
        .iter()
        .map(|n| n.trim())
        .filter(|n| !n.is_empty())
        .collect();
    if given.is_empty() {
        let mut names = BTreeSet::from(["localhost".to_string(), "127.0.0.1".into(), "::1".into()]);
        // A host name that is no valid DNS name is left out, not an error:
        // nobody asked for it.
        if let Some(Ok(own)) = machine_hostname().as_deref().map(canonical) {
            names.insert(own);
        }
        return Ok(names.into_iter().collect());
    }
    let names = given
        .into_iter()
        .map(canonical)
        .collect::<Result<BTreeSet<_>, _>>()?;
    Ok(names.into_iter().collect())
}

fn machine_hostname() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
}

fn canonical(name: &str) -> Result<String, TlsError> {
    let unbracketed = name.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = unbracketed.parse::<IpAddr>() {
        return Ok(ip.to_string());
    }
    let lower = name.to_ascii_lowercase();
    let label_ok = |(i, label): (usize, &str)| {
        (i == 0 && label == "*")
            || (!label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
    };
    if lower.len() <= 253 && lower.split('.').enumerate().all(label_ok) {
        Ok(lower)
    } else {
        Err(TlsError::Hostname {
            name: name.to_string(),
            reason: "expected a DNS name (a wildcard only as the first label) or an IP address"
                .into(),
        })
    }
}

/// The names in a certificate, spelled as [`hostnames`] spells them.
fn names_in(cert: &x509_parser::certificate::X509Certificate<'_>) -> Vec<String> {
    let Ok(Some(san)) = cert.subject_alternative_name() else {
        return Vec::new();
    };
    let names: BTreeSet<String> = san
        .value
        .general_names
        .iter()
        .filter_map(|name| match name {
            GeneralName::DNSName(dns) => Some(dns.to_ascii_lowercase()),
            GeneralName::IPAddress(bytes) => <[u8; 4]>::try_from(*bytes)
                .map(IpAddr::from)
                .or_else(|_| <[u8; 16]>::try_from(*bytes).map(IpAddr::from))
                .ok()
                .map(|ip| ip.to_string()),
            _ => None,
        })
        .collect();
    names.into_iter().collect()
}

/// Where `serve --tls-self-signed` keeps its certificate and key.
pub struct SelfSigned {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl SelfSigned {
    pub fn in_data_dir(data_dir: &Path) -> Self {
        let dir = data_dir.join("tls");
        Self {
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
        }
    }

    /// The kept certificate if it is still right for `names`, else a new one,
    /// kept in its place.
    pub fn load_or_make(&self, names: &[String]) -> Result<ServerTls, TlsError> {
        let why_new = match self.reusable(names) {
            Ok(kept) => return Ok(kept),
            Err(why) => why,
        };
        tracing::info!(
            reason = why_new,
            names = names.join(", "),
            "making a new self-signed certificate"
        );
        let generated = generate(names, SELF_SIGNED_DAYS)?;
        if let Some(dir) = self.cert.parent() {
            std::fs::create_dir_all(dir).map_err(|reason| TlsError::Write {
                path: dir.to_path_buf(),
                reason,
            })?;
        }
        write_pair(&self.cert, &self.key, &generated)?;
        Identity::load(&self.cert, &self.key)?.into_server(&self.cert, &self.key)
    }

    /// Why the kept certificate cannot serve `names`, if it cannot.
    fn reusable(&self, names: &[String]) -> Result<ServerTls, String> {
        if !self.cert.exists() {
            return Err("none kept yet".into());
        }
        let identity = Identity::load(&self.cert, &self.key).map_err(|e| e.to_string())?;
        let (_, leaf) = x509_parser::parse_x509_certificate(&identity.chain[0])
            .map_err(|e| format!("{}: {e}", self.cert.display()))?;
        let kept_names = names_in(&leaf);
        if kept_names != names {
            return Err(format!(
                "the host names changed from {}",
                kept_names.join(", ")
            ));
        }
        let renew_at = (OffsetDateTime::now_utc() + RENEW_BEFORE).unix_timestamp();
        if leaf.validity().not_after.timestamp() < renew_at {
            return Err("the kept one expires within 30 days".into());
        }
        identity
            .into_server(&self.cert, &self.key)
            .map_err(|e| e.to_string())
    }
}

/// Writes the key (owner-only) then the certificate, each through a
/// temporary file and a rename, so a crash leaves no half-written file.
pub fn write_pair(cert: &Path, key: &Path, generated: &Generated) -> Result<(), TlsError> {
    write_file(key, &generated.key_pem, true)?;
    write_file(cert, &generated.cert_pem, false)
}

fn write_file(path: &Path, content: &str, private: bool) -> Result<(), TlsError> {
    let fail = |reason| TlsError::Write {
        path: path.to_path_buf(),
        reason,
    };
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    // A leftover would keep its old permissions: the mode applies on creation only.
    let _ = std::fs::remove_file(&tmp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = options.open(&tmp).map_err(fail)?;
    file.write_all(content.as_bytes()).map_err(fail)?;
    file.sync_all().map_err(fail)?;
    std::fs::rename(&tmp, path).map_err(fail)
}

#[cfg(test)]
mod tests {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;

    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        hostnames(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn hostnames_are_canonical() {
        assert_eq!(
            names(&[
                "Bank.Example",
                " [::1] ",
                "127.0.0.1",
                "bank.example",
                "*.x.io"
            ]),
            ["*.x.io", "127.0.0.1", "::1", "bank.example"]
        );
        let defaults = names(&[]);
        for n in ["localhost", "127.0.0.1", "::1"] {
            assert!(defaults.contains(&n.to_string()), "{defaults:?}");
        }
        for bad in ["a b", "-x.io", "x..io", "a.*.io", "ünï.io"] {
            let err = hostnames(&[bad.into()]).err().unwrap().to_string();
            assert!(err.contains(bad), "{err}");
        }
    }

    #[test]
    fn a_certificate_holds_the_names_it_was_made_for() {
        let wanted = names(&["bank.example", "10.0.0.1", "::1"]);
        let generated = generate(&wanted, 10).unwrap();
        let der = CertificateDer::from_pem_slice(generated.cert_pem.as_bytes());
        let der = der.unwrap();
        let (_, cert) = x509_parser::parse_x509_certificate(&der).unwrap();
        assert_eq!(names_in(&cert), wanted);
        let days = (cert.validity().not_after.timestamp()
            - OffsetDateTime::now_utc().unix_timestamp())
            / 86_400;
        assert!((9..=10).contains(&days), "{days}");
    }

    #[test]
    fn kept_until_the_names_change_or_it_nears_its_end() {
        let dir = tempfile::tempdir().unwrap();
        let store = SelfSigned::in_data_dir(dir.path());
        let wanted = names(&["localhost"]);
        let first = store.load_or_make(&wanted).unwrap().fingerprint;
        assert_eq!(store.load_or_make(&wanted).unwrap().fingerprint, first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&store.key).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }

        let other = names(&["localhost", "bank.example"]);
        let second = store.load_or_make(&other).unwrap().fingerprint;
        assert_ne!(second, first);
        assert_eq!(store.load_or_make(&other).unwrap().fingerprint, second);

        // One that ends in 10 days is replaced.
        let short = generate(&other, 10).unwrap();
        write_pair(&store.cert, &store.key, &short).unwrap();
        let third = store.load_or_make(&other).unwrap().fingerprint;
        assert_ne!(third, short.fingerprint);

        // A kept key that is not the certificate's is replaced too.
        let stray = generate(&other, 100).unwrap();
        write_file(&store.key, &stray.key_pem, true).unwrap();
        let fourth = store.load_or_make(&other).unwrap().fingerprint;
        assert_ne!(fourth, third);
    }
}
