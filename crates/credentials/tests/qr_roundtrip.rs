//! issue → zip → QR PNG → decode with rqrr → unzip → verify.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns
mod common;

use tika_credentials::divoc::ContextVersion;
use tika_credentials::qr;
use tika_credentials::sample::sample_input;
use tika_credentials::suite;

#[test]
fn qr_png_roundtrip_verifies() {
    let s = common::signer("k1");
    let t = common::trust(&s);
    for version in [ContextVersion::Domestic, ContextVersion::International] {
        let input = sample_input(version, 1); // Hindi name
        let (_, json) = suite::issue(&input, &s).unwrap();
        let zip = qr::zip_credential(&json).unwrap();
        let code = qr::qr_code(&zip).unwrap();
        println!("{version:?}: zip {} bytes, QR version {}", zip.len(), qr::qr_version(&code));
        assert!(qr::qr_version(&code) <= 28, "version {}", qr::qr_version(&code));
        let png = qr::qr_png(&code, 3).unwrap();

        let img = image::load_from_memory(&png).unwrap().to_luma8();
        let (w, h) = img.dimensions();
        let mut prepared =
            rqrr::PreparedImage::prepare_from_greyscale(w as usize, h as usize, |x, y| {
                img.get_pixel(x as u32, y as u32).0[0]
            });
        let grids = prepared.detect_grids();
        assert_eq!(grids.len(), 1);
        let mut bytes = Vec::new();
        let meta = grids[0].decode_to(&mut bytes).unwrap();
        assert_eq!(meta.ecc_level, 0, "rqrr: 0 = M"); // rqrr numbers M as 0
        assert_eq!(bytes, zip);

        let decoded = qr::decode_payload(&bytes).unwrap();
        assert_eq!(decoded, json);
        let v = suite::verify(decoded.as_bytes(), &t).unwrap();
        assert_eq!(v.typed.unwrap().credential_subject.name, input.subject.name);
    }
}
