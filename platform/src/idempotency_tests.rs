//! Idempotency on both backends: replay, mismatch, rollback of failed
//! effects, dry runs, and concurrent duplicates.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::db::Db;
use crate::testing::{TestBackend, TestDatabase};
use diesel::connection::SimpleConnection;

diesel::table! {
    effects (id) {
        id -> Text,
    }
}

async fn setup(backend: TestBackend) -> (TestDatabase, Db) {
    let test_db = TestDatabase::create(backend);
    let db = test_db.unmigrated_db();
    db.write(|c| {
        c.batch_execute(DDL)?;
        c.batch_execute("CREATE TABLE effects (id TEXT PRIMARY KEY);")
            .map_err(Problem::from)
    })
    .await
    .unwrap();
    (test_db, db)
}

/// The effect under test: one row per run, answered with its id.
fn effect(conn: &mut AnyConnection) -> Result<StoredResponse, Problem> {
    let id = uuid::Uuid::new_v4().to_string();
    diesel::insert_into(effects::table)
        .values(effects::id.eq(&id))
        .execute(conn)?;
    StoredResponse::json(StatusCode::CREATED, &serde_json::json!({ "id": id }))
}

async fn run(db: &Db, key: &str, body: serde_json::Value, dry: bool) -> Result<Outcome, Problem> {
    let key = IdempotencyKey::parse(key)?;
    let fp = Fingerprint::of("POST", "/things", &body)?;
    db.write_or_rollback(dry, move |c| once(c, &key, &fp, effect))
        .await
}

async fn effect_count(db: &Db) -> i64 {
    db.read(|c| {
        effects::table
            .count()
            .get_result::<i64>(c)
            .map_err(Problem::from)
    })
    .await
    .unwrap()
}

async fn replays_the_first_response(backend: TestBackend) {
    let (_guard, db) = setup(backend).await;
    let body = serde_json::json!({"a": 1});
    let first = run(&db, "k-1", body.clone(), false).await.unwrap();
    let second = run(&db, "k-1", body, false).await.unwrap();
    assert!(!first.replayed);
    assert!(second.replayed);
    assert_eq!(first.response, second.response);
    assert_eq!(second.response.status, 201);
    assert_eq!(effect_count(&db).await, 1);
    let http = second.to_http();
    assert_eq!(http.headers().get(REPLAYED_HEADER).unwrap(), "true");
}

async fn a_different_body_is_refused(backend: TestBackend) {
    let (_guard, db) = setup(backend).await;
    run(&db, "k-2", serde_json::json!({"a": 1}), false)
        .await
        .unwrap();
    let err = run(&db, "k-2", serde_json::json!({"a": 2}), false)
        .await
        .unwrap_err();
    assert_eq!(err.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(err.detail().contains("k-2"), "{}", err.detail());
    assert_eq!(effect_count(&db).await, 1);
}

async fn a_failed_effect_releases_the_key(backend: TestBackend) {
    let (_guard, db) = setup(backend).await;
    let key = IdempotencyKey::parse("k-3").unwrap();
    let fp = Fingerprint::of("POST", "/things", &1).unwrap();
    let (k, f) = (key.clone(), fp.clone());
    let failed: Result<Outcome, Problem> = db
        .write(move |c| {
            once(c, &k, &f, |c| {
                effect(c)?;
                Err(Problem::conflict("not now"))
            })
        })
        .await;
    assert_eq!(failed.unwrap_err().status(), StatusCode::CONFLICT);
    assert_eq!(effect_count(&db).await, 0);
    let retried: Outcome = db
        .write(move |c| once::<Problem, _>(c, &key, &fp, effect))
        .await
        .unwrap();
    assert!(!retried.replayed);
    assert_eq!(effect_count(&db).await, 1);
}

async fn a_dry_run_keeps_neither_key_nor_effect(backend: TestBackend) {
    let (_guard, db) = setup(backend).await;
    let body = serde_json::json!({"a": 1});
    let dry = run(&db, "k-4", body.clone(), true).await.unwrap();
    assert_eq!(dry.response.status, 201);
    assert_eq!(effect_count(&db).await, 0);
    let real = run(&db, "k-4", body, false).await.unwrap();
    assert!(!real.replayed, "the dry run's key was rolled back");
    assert_eq!(effect_count(&db).await, 1);
}

async fn concurrent_duplicates_have_one_effect(backend: TestBackend) {
    let (_guard, db) = setup(backend).await;
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let db = db.clone();
            tokio::spawn(async move { run(&db, "k-5", serde_json::json!({"a": 1}), false).await })
        })
        .collect();
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.unwrap().unwrap());
    }
    assert_eq!(effect_count(&db).await, 1);
    assert_eq!(outcomes.iter().filter(|o| !o.replayed).count(), 1);
    assert!(outcomes.iter().all(|o| o.response == outcomes[0].response));
}

#[actix_web::test]
async fn an_optional_key_may_be_absent_but_not_malformed() {
    use actix_web::test::TestRequest;
    let none = TestRequest::default().to_http_request();
    assert_eq!(
        OptionalIdempotencyKey::extract(&none).await.unwrap().0,
        None
    );
    let some = TestRequest::default()
        .insert_header((HEADER, "k-9"))
        .to_http_request();
    let key = OptionalIdempotencyKey::extract(&some).await.unwrap().0;
    assert_eq!(key.unwrap().as_str(), "k-9");
    let bad = TestRequest::default()
        .insert_header((HEADER, "a b"))
        .to_http_request();
    assert!(OptionalIdempotencyKey::extract(&bad).await.is_err());
    let missing = IdempotencyKey::extract(&none).await.unwrap_err();
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
}

async fn without_a_key_the_effect_always_runs(backend: TestBackend) {
    let (_guard, db) = setup(backend).await;
    for _ in 0..2 {
        let fp = Fingerprint::of("POST", "/things", &1).unwrap();
        let outcome: Outcome = db
            .write(move |c| maybe_once::<Problem, _>(c, None, &fp, effect))
            .await
            .unwrap();
        assert!(!outcome.replayed);
    }
    assert_eq!(effect_count(&db).await, 2);
    let key = IdempotencyKey::parse("k-6").unwrap();
    for _ in 0..2 {
        let (k, fp) = (key.clone(), Fingerprint::of("POST", "/things", &1).unwrap());
        db.write(move |c| maybe_once::<Problem, _>(c, Some(&k), &fp, effect))
            .await
            .unwrap();
    }
    assert_eq!(effect_count(&db).await, 3);
}

#[test]
fn keys_are_checked() {
    assert!(IdempotencyKey::parse("0f8b-ab").is_ok());
    assert!(IdempotencyKey::parse("").is_err());
    assert!(IdempotencyKey::parse("has space").is_err());
    assert!(IdempotencyKey::parse(&"x".repeat(256)).is_err());
}

#[test]
fn fingerprints_cover_method_path_and_body() {
    let a = Fingerprint::of("POST", "/a", &1).unwrap();
    assert_eq!(a, Fingerprint::of("POST", "/a", &1).unwrap());
    assert_ne!(a, Fingerprint::of("PUT", "/a", &1).unwrap());
    assert_ne!(a, Fingerprint::of("POST", "/b", &1).unwrap());
    assert_ne!(a, Fingerprint::of("POST", "/a", &2).unwrap());
    assert_eq!(a.as_str().len(), 64);
}

crate::both_backends!(
    replays_the_first_response,
    a_different_body_is_refused,
    a_failed_effect_releases_the_key,
    a_dry_run_keeps_neither_key_nor_effect,
    concurrent_duplicates_have_one_effect,
    without_a_key_the_effect_always_runs,
);
