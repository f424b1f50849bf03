//! Webhook signature checks per provider: valid, tampered body, stale timestamp,
//! empty signature, wrong secret, empty secret, rotation (several signatures or
//! several secrets, one valid).

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use base64::Engine;
use bspgraph::providers::signature::sign;
use bspgraph::providers::{sendzen, sinch, zavu, WebhookError};
use bspgraph_sandbox::sinch::sign_headers;
use bspgraph_sandbox::zavu::SignatureScheme;
use chrono::{Duration, Utc};

use crate::provider_support::secret;

const BODY: &str = r#"{"id":"evt_1","type":"invitation.status_changed","timestamp":1,"data":{}}"#;

fn headers(pairs: &[(&str, String)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (n, v) in pairs {
        h.insert(HeaderName::from_bytes(n.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap());
    }
    h
}

#[test]
fn zavu_v2_signatures() {
    let now = Utc::now();
    let t = now.timestamp();
    let ok = headers(&[("x-zavu-signature", SignatureScheme::V2.header("whsec_a", t, BODY))]);
    let stale = headers(&[("x-zavu-signature", SignatureScheme::V2.header("whsec_a", t - 301, BODY))]);
    let future = headers(&[("x-zavu-signature", SignatureScheme::V2.header("whsec_a", t + 301, BODY))]);
    let check = |h: &HeaderMap, body: &str, secrets: &[&str]| {
        let secrets: Vec<_> = secrets.iter().map(|s| secret(s)).collect();
        zavu::verify_signature(&secrets, h, body.as_bytes(), now)
    };

    assert_eq!(check(&ok, BODY, &["whsec_a"]), Ok(()));
    assert_eq!(check(&ok, &BODY.replace("evt_1", "evt_2"), &["whsec_a"]), Err(WebhookError::BadSignature));
    assert_eq!(check(&stale, BODY, &["whsec_a"]), Err(WebhookError::Stale));
    assert_eq!(check(&future, BODY, &["whsec_a"]), Err(WebhookError::Stale));
    assert_eq!(check(&ok, BODY, &["whsec_b"]), Err(WebhookError::BadSignature));
    assert_eq!(check(&ok, BODY, &[""]), Err(WebhookError::NoSecret));
    assert_eq!(
        check(&headers(&[("x-zavu-signature", format!("t={t},v2="))]), BODY, &["whsec_a"]),
        Err(WebhookError::MissingSignature)
    );
    assert_eq!(check(&HeaderMap::new(), BODY, &["whsec_a"]), Err(WebhookError::MissingSignature));
    // Rotation: the old secret is still accepted, and several v2 values may be sent.
    assert_eq!(check(&ok, BODY, &["whsec_new", "whsec_a"]), Ok(()));
    let new_sig = SignatureScheme::V2.header("whsec_new", t, BODY);
    let old_sig = SignatureScheme::V2.header("whsec_a", t, BODY);
    let both = format!("{},{}", new_sig, old_sig.split_once(',').unwrap().1);
    assert_eq!(check(&headers(&[("x-zavu-signature", both)]), BODY, &["whsec_a"]), Ok(()));
}

#[test]
fn zavu_v1_legacy_and_dual_mode() {
    let now = Utc::now();
    let t = now.timestamp();
    let v1 = headers(&[("x-zavu-signature", SignatureScheme::V1.header("whsec_a", t, BODY))]);
    let dual = headers(&[("x-zavu-signature", SignatureScheme::V1V2.header("whsec_a", t, BODY))]);
    // A v1 signature paired with a forged v2 is refused: when v2 is present only v2 counts.
    let v1_part = SignatureScheme::V1.header("whsec_a", t, BODY);
    let forged = headers(&[("x-zavu-signature", format!("{v1_part},v2={}", "00".repeat(32)))]);
    let secrets = [secret("whsec_a")];

    assert_eq!(zavu::verify_signature(&secrets, &v1, BODY.as_bytes(), now), Ok(()));
    assert_eq!(zavu::verify_signature(&secrets, &dual, BODY.as_bytes(), now), Ok(()));
    assert_eq!(zavu::verify_signature(&secrets, &forged, BODY.as_bytes(), now), Err(WebhookError::BadSignature));
}

#[test]
fn sinch_signatures() {
    let now = Utc::now();
    let good: Vec<(String, String)> = sign_headers("sinch_secret", BODY);
    let as_headers =
        |pairs: &[(String, String)]| headers(&pairs.iter().map(|(n, v)| (n.as_str(), v.clone())).collect::<Vec<_>>());
    let ok = as_headers(&good);
    let with = |name: &str, value: String| {
        let mut pairs = good.clone();
        for p in &mut pairs {
            if p.0 == name {
                p.1.clone_from(&value);
            }
        }
        as_headers(&pairs)
    };
    let check = |h: &HeaderMap, body: &str, secrets: &[&str], at| {
        let secrets: Vec<_> = secrets.iter().map(|s| secret(s)).collect();
        sinch::verify_signature(&secrets, h, body.as_bytes(), at)
    };

    assert_eq!(check(&ok, BODY, &["sinch_secret"], now), Ok(()));
    assert_eq!(check(&ok, &format!("{BODY} "), &["sinch_secret"], now), Err(WebhookError::BadSignature));
    assert_eq!(check(&ok, BODY, &["sinch_secret"], now + Duration::seconds(301)), Err(WebhookError::Stale));
    assert_eq!(check(&ok, BODY, &["other"], now), Err(WebhookError::BadSignature));
    assert_eq!(check(&ok, BODY, &[""], now), Err(WebhookError::NoSecret));
    assert_eq!(
        check(&with("x-sinch-webhook-signature", String::new()), BODY, &["sinch_secret"], now),
        Err(WebhookError::MissingSignature)
    );
    assert_eq!(
        check(&with("x-sinch-webhook-signature-nonce", "OTHERNONCE".into()), BODY, &["sinch_secret"], now),
        Err(WebhookError::BadSignature)
    );
    // Rotation: several secrets, or several signatures in the header, one valid.
    assert_eq!(check(&ok, BODY, &["new_secret", "sinch_secret"], now), Ok(()));
    let sig = good.iter().find(|p| p.0 == "x-sinch-webhook-signature").unwrap().1.clone();
    let junk = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
    assert_eq!(
        check(&with("x-sinch-webhook-signature", format!("{junk} {sig}")), BODY, &["sinch_secret"], now),
        Ok(())
    );
}

#[test]
fn sendzen_signatures() {
    let sig = |secret: &str, body: &str| format!("sha256={}", hex::encode(sign(secret.as_bytes(), &[body.as_bytes()])));
    let ok = headers(&[("x-hub-signature-256", sig("sz_secret", BODY))]);
    let check = |h: &HeaderMap, body: &str, secrets: &[&str]| {
        let secrets: Vec<_> = secrets.iter().map(|s| secret(s)).collect();
        sendzen::verify_signature(&secrets, h, body.as_bytes())
    };

    assert_eq!(check(&ok, BODY, &["sz_secret"]), Ok(()));
    assert_eq!(check(&ok, &BODY.replace('1', "2"), &["sz_secret"]), Err(WebhookError::BadSignature));
    assert_eq!(check(&ok, BODY, &["wrong"]), Err(WebhookError::BadSignature));
    assert_eq!(check(&ok, BODY, &[""]), Err(WebhookError::NoSecret));
    assert_eq!(
        check(&headers(&[("x-hub-signature-256", "sha256=".into())]), BODY, &["sz_secret"]),
        Err(WebhookError::MissingSignature)
    );
    assert_eq!(
        check(&headers(&[("x-hub-signature-256", "md5=abc".into())]), BODY, &["sz_secret"]),
        Err(WebhookError::MalformedSignature)
    );
    // A signature of the wrong length is refused before any HMAC runs.
    let truncated = sig("sz_secret", BODY)[..39].to_owned();
    assert_eq!(
        check(&headers(&[("x-hub-signature-256", truncated)]), BODY, &["sz_secret"]),
        Err(WebhookError::MalformedSignature)
    );
    // Rotation: old and new secrets both accepted during the switch.
    assert_eq!(check(&ok, BODY, &["new", "sz_secret"]), Ok(()));
    // SendZen signs no timestamp: freshness comes from dedupe, so an old body still verifies.
}

/// Headers carrying more signatures than are ever read, or a signature that is not 32
/// bytes, are refused before any HMAC runs, even when one candidate is valid.
#[test]
fn candidate_signatures_are_capped_and_length_checked() {
    let now = Utc::now();
    let t = now.timestamp();
    let bogus = |n: usize| (0..n).map(|i| format!("{i:02x}").repeat(32)).collect::<Vec<_>>();
    let zavu_ok = SignatureScheme::V2.header("whsec_a", t, BODY);
    let zavu = |extra: &[String]| {
        let mut header = zavu_ok.clone();
        for s in extra {
            header.push_str(&format!(",v2={s}"));
        }
        zavu::verify_signature(&[secret("whsec_a")], &headers(&[("x-zavu-signature", header)]), BODY.as_bytes(), now)
    };
    assert_eq!(zavu(&bogus(4)), Ok(()), "five candidates are read");
    assert_eq!(zavu(&bogus(5)), Err(WebhookError::TooManySignatures));
    assert_eq!(zavu(&bogus(3000)), Err(WebhookError::TooManySignatures));
    assert_eq!(zavu(&["ab".repeat(31)]), Err(WebhookError::MalformedSignature), "wrong length");
    assert_eq!(zavu(&["zz".repeat(32)]), Err(WebhookError::MalformedSignature), "not hex");

    let sz_ok = format!("sha256={}", hex::encode(sign(b"sz", &[BODY.as_bytes()])));
    let sendzen = |extra: &[String]| {
        let header = std::iter::once(sz_ok.clone()).chain(extra.iter().map(|s| format!("sha256={s}")));
        let header = header.collect::<Vec<_>>().join(",");
        sendzen::verify_signature(&[secret("sz")], &headers(&[("x-hub-signature-256", header)]), BODY.as_bytes())
    };
    assert_eq!(sendzen(&bogus(4)), Ok(()));
    assert_eq!(sendzen(&bogus(5)), Err(WebhookError::TooManySignatures));
    assert_eq!(sendzen(&["0".repeat(63)]), Err(WebhookError::MalformedSignature));

    let good: Vec<(String, String)> = sign_headers("sinch_secret", BODY);
    let sinch = |extra: &[String]| {
        let pairs: Vec<(&str, String)> = good
            .iter()
            .map(|(n, v)| {
                let v = if n == "x-sinch-webhook-signature" { format!("{v} {}", extra.join(" ")) } else { v.clone() };
                (n.as_str(), v)
            })
            .collect();
        sinch::verify_signature(&[secret("sinch_secret")], &headers(&pairs), BODY.as_bytes(), now)
    };
    let b64 =
        |n: usize| (0..n).map(|i| base64::engine::general_purpose::STANDARD.encode([i as u8; 32])).collect::<Vec<_>>();
    assert_eq!(sinch(&b64(4)), Ok(()));
    assert_eq!(sinch(&b64(5)), Err(WebhookError::TooManySignatures));
    assert_eq!(
        sinch(&[base64::engine::general_purpose::STANDARD.encode([1u8; 31])]),
        Err(WebhookError::MalformedSignature)
    );
    assert_eq!(sinch(&["!!!not-base64".to_owned()]), Err(WebhookError::MalformedSignature));
}
