//! The store conformance suite: every scenario in
//! `pagerbound_testkit::conformance`, on SQLite and on PostgreSQL.

use pagerbound_testkit::{Backend, TestStore, conformance};

macro_rules! on_both_backends {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            use super::*;
            $(
                #[tokio::test]
                async fn $scenario() {
                    let test = TestStore::new(Backend::Sqlite).await;
                    conformance::$scenario(test.store()).await;
                }
            )*
        }

        mod postgres {
            use super::*;
            $(
                #[tokio::test]
                async fn $scenario() {
                    let test = TestStore::new(Backend::Postgres).await;
                    conformance::$scenario(test.store()).await;
                }
            )*
        }
    };
}

on_both_backends!(
    migrations_are_idempotent,
    api_tokens_round_trip,
    api_token_digests_are_unique,
    api_tokens_list_in_creation_order,
    api_tokens_revoke_once,
    api_token_use_is_recorded_sparingly,
    passwords_are_set_and_replaced,
    sessions_open_expire_and_end,
    alert_ids_are_reserved_once,
    alerts_are_written_in_batches,
    alert_updates_keep_what_they_do_not_change,
    large_batches_are_written_whole,
    failed_batches_write_nothing,
    alert_history_and_label_lookup,
    alert_history_ranges_hold_what_fired_in_them,
    silences_are_saved_and_listed,
    pages_live_from_triggered_to_resolved,
    pages_and_tickets_are_listed_by_filter,
    groups_are_saved_replaced_and_deleted,
    maintenance_windows_and_their_notice,
    leases_have_one_holder,
    history_is_purged_after_retention,
    events_are_planned_into_notifications_once,
    notifications_go_from_pending_to_delivered,
    failed_attempts_are_retried_or_given_up,
    notifications_left_sending_are_released,
    notices_are_planned_and_purged,
    later_contact_methods_wait_and_are_cancelled_by_an_ack,
    responses_change_pages_once,
    feedback_is_replaced_and_counted,
    secrets_are_created_once,
    heartbeat_beats_are_recorded,
    heartbeat_pages_open_once_and_resolve,
    overrides_are_added_and_found_by_range,
    overrides_are_added_all_or_none,
    overrides_are_removed_once,
    escalations_start_once_and_are_found_when_due,
    on_call_watch_is_kept_per_schedule,
    drills_are_recorded_and_linked_to_their_page,
    sli_event_totals_add_up_rows_within_bounds,
    sli_events_are_followed_as_they_arrive,
    sli_events_are_pruned_by_minute,
    sli_event_batches_are_recorded_all_or_none,
    sli_fetches_record_rows_and_cursor_together,
    sli_cursors_are_kept_per_slo,
    sli_objectives_are_recorded_when_they_change,
    sli_objectives_are_kept_per_slo,
    sli_objectives_out_of_range_are_refused,
    sli_objectives_are_recorded_once_by_concurrent_callers,
    slo_periods_are_recorded_once,
    slo_periods_are_recorded_once_by_concurrent_callers,
    slo_periods_are_listed_newest_first,
    slo_periods_that_cannot_be_are_refused,
);
