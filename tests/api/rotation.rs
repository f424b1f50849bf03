//! Provider secrets at rest: a ciphertext is bound to its row, and `secrets rotate`
//! re-seals every secret under the new key so that old keys can be dropped.

use base64::Engine;
use bspgraph::secrets::{rotate, SecretBox, Slot};
use sea_orm::sea_query::{Alias, Expr, Query};
use sea_orm::ConnectionTrait;
use secrecy::{ExposeSecret, SecretString};

use crate::helpers::{each_backend, TestApp};

fn slot(row_id: i64) -> Slot<'static> {
    Slot { table: "projects", row_id, field: "credentials" }
}

async fn write_sealed(app: &TestApp, row_id: i64, sealed: Vec<u8>) {
    let db = app.db().await;
    let stmt = Query::update()
        .table(Alias::new("projects"))
        .value(Alias::new("credentials"), sealed)
        .and_where(Expr::col(Alias::new("id")).eq(row_id))
        .to_owned();
    db.execute(db.get_database_backend().build(&stmt)).await.unwrap();
}

#[tokio::test]
async fn ciphertexts_are_bound_to_their_row_and_rotation_keeps_every_secret_readable() {
    each_backend(|app| async move {
        app.store.seed_demo(2).await.unwrap();
        // The sandbox's webhook registrations are sealed under this app's own generated
        // key, which the test does not hold; it rotates only what it seals itself.
        app.db().await.execute_unprepared("DELETE FROM webhook_registrations").await.unwrap();
        let old_key = [7u8; 32];
        let old = SecretBox::from_key(&old_key).unwrap();
        let projects: Vec<i64> = app.store.sealed_credentials().await.unwrap().iter().map(|(id, _)| *id).collect();
        assert!(projects.is_empty(), "the seed stores no credentials");
        let ids = [1_i64, 2];
        for id in ids {
            let secret = SecretString::from(format!("sk_live_CANARY_{id}"));
            write_sealed(&app, id, old.seal(&secret, slot(id)).unwrap()).await;
        }
        let stored = app.store.sealed_credentials().await.unwrap();
        assert_eq!(stored.len(), 2);
        // Copied to another row, a ciphertext does not open.
        assert!(old.open(&stored[0].1, slot(2)).is_err());
        assert_eq!(old.open(&stored[0].1, slot(1)).unwrap().expose_secret(), "sk_live_CANARY_1");

        let old_b64 = SecretString::from(base64::engine::general_purpose::STANDARD.encode(old_key));
        let new = SecretBox::from_key(&[9u8; 32]).unwrap().with_previous(&[old_b64]).unwrap();
        let report = rotate(&app.store, &new).await.unwrap();
        assert_eq!((report.resealed, report.current), (2, 0));

        let new_only = SecretBox::from_key(&[9u8; 32]).unwrap();
        for (id, sealed) in app.store.sealed_credentials().await.unwrap() {
            assert!(new_only.is_current(&sealed));
            assert_eq!(new_only.open(&sealed, slot(id)).unwrap().expose_secret(), format!("sk_live_CANARY_{id}"));
            assert!(old.open(&sealed, slot(id)).is_err(), "the old key no longer opens it");
        }
        let again = rotate(&app.store, &new_only).await.unwrap();
        assert_eq!((again.resealed, again.current), (0, 2));
    })
    .await;
}
