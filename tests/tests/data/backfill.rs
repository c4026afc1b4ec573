//! Backfill of `payments` from both kinds of source: the legacy view of every
//! backfilled record equals what the monolith serves; a rerun writes
//! nothing; an untranslatable record is a dead letter and the run goes on;
//! the gateway is never asked and nothing is published.

use crate::support::{Sides, ok_json};
use acl::LegacyClock;
use acl::parity::{Entity, compare};
use platform::testing::TestBackend;
use strangler_data::backfill;
use strangler_data::source::api::ApiSource;
use strangler_data::source::sql::SqlSource;
use strangler_data::target::Service;

platform::both_backends!(
    every_backfilled_record_reads_as_the_monolith_serves_it,
    the_database_source_moves_the_same_records,
    an_untranslatable_record_is_a_dead_letter_and_the_run_goes_on,
    a_seeded_monolith_moves_whole_from_either_source
);

async fn every_backfilled_record_reads_as_the_monolith_serves_it(backend: TestBackend) {
    let sides = Sides::start(backend).await;
    let payments = sides.generate(20).await;
    let gateway = payment::gateway::calls();
    let to = Service::new(&sides.payment).unwrap();
    let source = ApiSource::new(&sides.monolith).unwrap();

    let dry = backfill::payments(
        &source,
        &to,
        &backfill::Options {
            dry_run: true,
            ..sides.options()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (dry.imported, dry.dead_letters),
        (40, 0),
        "20 payments, 20 invoices checked"
    );
    assert_eq!(
        sides.payment_count("payments").await,
        0,
        "a dry run keeps nothing"
    );

    let sum = backfill::payments(&source, &to, &sides.options())
        .await
        .unwrap();
    assert_eq!(
        (
            sum.read,
            sum.imported,
            sum.already_imported,
            sum.dead_letters
        ),
        (40, 40, 0, 0),
        "{}",
        sum.render()
    );
    assert_eq!(
        payment::gateway::calls(),
        gateway,
        "a backfill never asks the gateway"
    );
    assert_eq!(
        sides.payment_count("outbox").await,
        0,
        "a backfill publishes nothing"
    );

    let clock = LegacyClock::default();
    for pay in &payments {
        let legacy = sides
            .client
            .get(format!("{}/api/v1/payments/{pay}", sides.monolith))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let new = sides
            .client
            .get(format!("{}/v2/payments/by-legacy-id/{pay}", sides.payment))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(
            compare(Entity::Payment, &clock, &legacy, &new).unwrap(),
            [],
            "payment {pay}"
        );
        let refunds = ok_json(
            sides
                .client
                .get(format!("{}/api/v1/payments/{pay}/refunds", sides.monolith))
                .send()
                .await
                .unwrap(),
        )
        .await;
        for r in refunds["items"].as_array().unwrap() {
            let new = sides
                .client
                .get(format!(
                    "{}/v2/refunds/by-legacy-id/{}",
                    sides.payment, r["id"]
                ))
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            let legacy = serde_json::to_vec(r).unwrap();
            assert_eq!(
                compare(Entity::Refund, &clock, &legacy, &new).unwrap(),
                [],
                "refund {}",
                r["id"]
            );
        }
    }
    let invoices = ok_json(
        sides
            .client
            .get(format!(
                "{}/api/v1/export/invoices?limit=1000",
                sides.monolith
            ))
            .send()
            .await
            .unwrap(),
    )
    .await;
    for i in invoices["items"].as_array().unwrap() {
        let new = sides
            .client
            .get(format!(
                "{}/v2/invoices/by-legacy-id/{}",
                sides.payment, i["id"]
            ))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(
            compare(
                Entity::Invoice,
                &clock,
                &serde_json::to_vec(i).unwrap(),
                &new
            )
            .unwrap(),
            [],
            "invoice {}",
            i["id"]
        );
    }

    // A rerun from the checkpoint finds nothing new; from the start, it
    // finds everything there and writes nothing.
    let events = sides.payment_count("payment_events").await;
    let again = backfill::payments(&source, &to, &sides.options())
        .await
        .unwrap();
    assert_eq!((again.read, again.imported), (0, 0), "{}", again.render());
    let restart = backfill::payments(
        &source,
        &to,
        &backfill::Options {
            from_start: true,
            ..sides.options()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (restart.imported, restart.already_imported),
        (0, 40),
        "{}",
        restart.render()
    );
    assert!(
        restart
            .render()
            .contains("40 already imported (nothing written)")
    );
    assert_eq!(sides.payment_count("payment_events").await, events);
}

async fn the_database_source_moves_the_same_records(backend: TestBackend) {
    let sides = Sides::start(backend).await;
    sides.generate(8).await;
    let api = ApiSource::new(&sides.monolith).unwrap();
    let sql = SqlSource::open(sides.monolith_db.url(), LegacyClock::default()).unwrap();
    use strangler_data::source::LegacySource;
    for after in [0, 3] {
        assert_eq!(
            api.payments(after, 4).await.unwrap(),
            sql.payments(after, 4).await.unwrap()
        );
        assert_eq!(
            api.invoices(after, 4).await.unwrap(),
            sql.invoices(after, 4).await.unwrap()
        );
    }
    let to = Service::new(&sides.payment).unwrap();
    let sum = backfill::payments(&sql, &to, &sides.options())
        .await
        .unwrap();
    assert_eq!(
        (sum.imported, sum.dead_letters),
        (16, 0),
        "{}",
        sum.render()
    );
    // The connection is read-only: the monolith's tables cannot be changed through it.
    assert!(SqlSource::open("sqlite:///no/such/file.db", LegacyClock::default()).is_err());
}

async fn an_untranslatable_record_is_a_dead_letter_and_the_run_goes_on(backend: TestBackend) {
    let sides = Sides::start(backend).await;
    sides.generate(5).await;
    // A currency the ACL does not support, planted in the legacy table.
    sides
        .sql(
            &sides.monolith_db,
            "UPDATE payments SET currency = 'XAU' WHERE id = 2",
            monolith::migrations(),
        )
        .await;
    let to = Service::new(&sides.payment).unwrap();
    let source = ApiSource::new(&sides.monolith).unwrap();
    let sum = backfill::payments(&source, &to, &sides.options())
        .await
        .unwrap();
    assert_eq!((sum.imported, sum.dead_letters), (9, 1), "{}", sum.render());
    assert!(sum.render().contains("1 dead letters"));
    let letters = std::fs::read_to_string(&sum.dead_letter_file).unwrap();
    let lines: Vec<serde_json::Value> = letters
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{letters}");
    assert_eq!(
        (lines[0]["entity"].as_str(), lines[0]["legacy_id"].as_i64()),
        (Some("payment"), Some(2))
    );
    assert!(
        lines[0]["reason"].as_str().unwrap().contains("XAU"),
        "{letters}"
    );
    assert_eq!(
        sides.payment_count("payments").await,
        4,
        "nothing of the dead letter is written"
    );
}

async fn a_seeded_monolith_moves_whole_from_either_source(backend: TestBackend) {
    let sides = Sides::start(backend).await;
    let mut settings = monolith::settings::Settings::load(None).unwrap();
    settings.database = sides.monolith_db.settings.clone();
    let args = monolith::seed::SeedArgs {
        customers: 10,
        orders: 30,
        seed: 7,
    };
    // The seed runs its own actix system: on a thread of its own.
    std::thread::spawn(move || monolith::seed::run(&settings, &args).unwrap())
        .join()
        .unwrap();
    let api = ApiSource::new(&sides.monolith).unwrap();
    let sql = SqlSource::open(sides.monolith_db.url(), LegacyClock::default()).unwrap();
    use strangler_data::source::LegacySource;
    let (mut a, mut b) = (
        api.payments(0, 7).await.unwrap(),
        sql.payments(0, 7).await.unwrap(),
    );
    assert_eq!(a.total, 30);
    while let Some(next) = a.next.as_ref().and_then(|n| n.id()) {
        assert_eq!(a, b);
        (a, b) = (
            api.payments(next, 7).await.unwrap(),
            sql.payments(next, 7).await.unwrap(),
        );
    }
    assert_eq!(a, b);
    let to = Service::new(&sides.payment).unwrap();
    let sum = backfill::payments(&sql, &to, &sides.options())
        .await
        .unwrap();
    assert_eq!(
        (sum.imported, sum.dead_letters),
        (60, 0),
        "{}",
        sum.render()
    );
    let result =
        strangler_data::verify::payments(&api, &to, &LegacyClock::default(), 11, &mut |_| {})
            .await
            .unwrap();
    assert!(result.passed(), "{result:?}");
    assert_eq!(result.matching_records, 60);
}
